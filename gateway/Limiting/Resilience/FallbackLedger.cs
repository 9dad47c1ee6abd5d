using System.Collections.Concurrent;
using Gateway.Limiting.Leasing;
using Gateway.Limiting.Policies;
using Gateway.Observability;

namespace Gateway.Limiting.Resilience;

/// <summary>
/// Permits this instance admitted on local fallback, kept per key, rule set and window (<see cref="LedgerCell"/>) until
/// Redis has counted them: a late answer absorbs them (the permits it took pay for them), and reconciliation adds the
/// rest to Redis's counters of the windows they were admitted in. Nothing is lost between recording and draining: a
/// cell being drained is sealed in one atomic step, and a record that meets a sealed cell starts a new one. Bounded: past
/// <see cref="MaxCells"/> new cells are not recorded; Redis then never counts those admissions, so the fleet may admit
/// that many more than the limit. They are counted (<see cref="Overflowed"/>, a metric) so an operator sees it happen.
/// </summary>
internal sealed class FallbackLedger : ILateGrantAbsorber
{
    public const int MaxCells = 100_000;

    // Permits of a cell being drained: below any real count, so a concurrent add sees it and moves to a fresh cell.
    private const long Sealed = long.MinValue / 2;

    // Far above any admissible count (limits are bounded well below it), so saturating there cannot mislead.
    private const long Saturated = long.MaxValue / 4;

    private readonly ConcurrentDictionary<CellKey, Cell> _cells = new();
    private int _count;
    private long _recordedOverflow;

    /// <summary>Cells holding permits not yet counted in Redis.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Permits admitted on fallback that Redis will never count, because the ledger was full (since start).</summary>
    public long Overflowed => Interlocked.Read(ref _recordedOverflow);

    /// <summary>Permits waiting to be counted in Redis (a moment's sum: other threads may add or take meanwhile).</summary>
    public long PendingPermits
    {
        get
        {
            long sum = 0;
            foreach (var cell in _cells.Values)
            {
                sum += Math.Max(0, Interlocked.Read(ref cell.Permits));
            }

            return sum;
        }
    }

    /// <summary>Records <paramref name="cost"/> permits admitted at Redis time <paramref name="at"/>.</summary>
    public void Record(string partitionKey, RuleSet rules, long cost, long at) => Record(partitionKey, rules, cost, at, bounded: true);

    /// <summary>
    /// Takes up to <paramref name="granted"/> permits off what was admitted on fallback in the window of Redis time
    /// <paramref name="storeTime"/>: permits a late answer took in Redis pay for those admissions. Returns how many.
    /// </summary>
    public long Absorb(string partitionKey, RuleSet rules, long storeTime, long granted)
    {
        var absorbed = TryTake(new CellKey(partitionKey, rules, LedgerCell.Start(rules, storeTime)), granted);
        GatewayMetrics.LatePermits.Add(absorbed, new KeyValuePair<string, object?>("use", "absorbed"));
        return absorbed;
    }

    /// <summary>Takes refunded permits off the cell of Redis time <paramref name="at"/>, never below zero and never creating one.</summary>
    public void Forget(string partitionKey, RuleSet rules, long cost, long at) =>
        TryTake(new CellKey(partitionKey, rules, LedgerCell.Start(rules, at)), cost);

    /// <summary>Takes every cell out, for reconciliation; each is sealed first, so no later record can slip into it.</summary>
    public List<LedgerEntry> Drain()
    {
        var drained = new List<LedgerEntry>();
        foreach (var (key, cell) in _cells)
        {
            if (!_cells.TryRemove(new KeyValuePair<CellKey, Cell>(key, cell)))
            {
                continue;
            }

            Interlocked.Decrement(ref _count);
            var permits = Interlocked.Exchange(ref cell.Permits, Sealed);
            if (permits > 0)
            {
                drained.Add(new LedgerEntry(key.PartitionKey, key.Rules, permits, cell.At, Interlocked.Read(ref cell.RelevantUntil)));
            }
        }

        return drained;
    }

    /// <summary>Puts back an entry whose reconciliation failed, to be tried again (past the bound too: it was counted in it once).</summary>
    public void Restore(LedgerEntry entry) => Record(entry.PartitionKey, entry.Rules, entry.Permits, entry.At, bounded: false);

    /// <summary>Drops every cell of a partition whose counters were reset: its admissions belong to counters that are gone.</summary>
    public void Clear(string partitionKey)
    {
        foreach (var (key, cell) in _cells)
        {
            if (string.Equals(key.PartitionKey, partitionKey, StringComparison.Ordinal) && _cells.TryRemove(new KeyValuePair<CellKey, Cell>(key, cell)))
            {
                Interlocked.Decrement(ref _count);
                Interlocked.Exchange(ref cell.Permits, Sealed);
            }
        }
    }

    /// <summary>Drops cells whose permits can no longer change a decision at Redis time <paramref name="now"/>; returns the permits dropped.</summary>
    public long Prune(long now)
    {
        long dropped = 0;
        foreach (var (key, cell) in _cells)
        {
            if (Interlocked.Read(ref cell.RelevantUntil) <= now && _cells.TryRemove(new KeyValuePair<CellKey, Cell>(key, cell)))
            {
                Interlocked.Decrement(ref _count);
                dropped += Math.Max(0, Interlocked.Exchange(ref cell.Permits, Sealed));
            }
        }

        return dropped;
    }

    private void Record(string partitionKey, RuleSet rules, long cost, long at, bool bounded)
    {
        var key = new CellKey(partitionKey, rules, LedgerCell.Start(rules, at));
        var relevantUntil = LedgerCell.RelevantUntil(rules, at);
        while (true)
        {
            if (!_cells.TryGetValue(key, out var cell))
            {
                if (bounded && Volatile.Read(ref _count) >= MaxCells)
                {
                    Interlocked.Add(ref _recordedOverflow, cost);
                    GatewayMetrics.UnrecordedPermits.Add(cost);
                    return;
                }

                var created = new Cell(at, relevantUntil);
                cell = _cells.GetOrAdd(key, created);
                if (ReferenceEquals(cell, created))
                {
                    Interlocked.Increment(ref _count);
                }
            }

            if (TryAdd(cell, cost))
            {
                // A later admission may matter for longer (a bucket refills from its own time): the cell lives as long
                // as its latest admission needs.
                RaiseTo(ref cell.RelevantUntil, relevantUntil);
                return;
            }

            // Sealed by a drain between lookup and add: the drain took the cell out; the next lookup starts another.
        }
    }

    private static void RaiseTo(ref long location, long value)
    {
        var current = Interlocked.Read(ref location);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref location, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    private static bool TryAdd(Cell cell, long cost)
    {
        var current = Interlocked.Read(ref cell.Permits);
        while (current >= 0)
        {
            var next = current > Saturated - cost ? Saturated : current + cost;
            var seen = Interlocked.CompareExchange(ref cell.Permits, next, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    private long TryTake(CellKey key, long count)
    {
        if (count <= 0 || !_cells.TryGetValue(key, out var cell))
        {
            return 0;
        }

        var current = Interlocked.Read(ref cell.Permits);
        while (current > 0)
        {
            var taken = Math.Min(current, count);
            var seen = Interlocked.CompareExchange(ref cell.Permits, current - taken, current);
            if (seen == current)
            {
                return taken;
            }

            current = seen;
        }

        return 0;
    }

    private readonly record struct CellKey(string PartitionKey, RuleSet Rules, long Start);

    private sealed class Cell(long at, long relevantUntil)
    {
        public long Permits;

        /// <summary>Redis time past which none of the cell's admissions changes a decision; raised by later admissions.</summary>
        public long RelevantUntil = relevantUntil;

        /// <summary>Redis time of the first admission recorded in the cell.</summary>
        public long At { get; } = at;
    }
}
