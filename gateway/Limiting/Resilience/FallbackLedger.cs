using System.Collections.Concurrent;
using Gateway.Limiting.Leasing;
using Gateway.Limiting.Policies;

namespace Gateway.Limiting.Resilience;

/// <summary>
/// Permits this instance admitted on local fallback, kept per key, rule set and window (<see cref="LedgerCell"/>) until
/// Redis has counted them: a late answer absorbs them (the permits it took pay for them), and reconciliation adds the
/// rest to Redis's counters of the windows they were admitted in. Nothing is lost between recording and draining: a
/// cell being drained is sealed in one atomic step, and a record that meets a sealed cell starts a new one. Bounded: past
/// <see cref="MaxCells"/> new cells are not recorded (that quota is then forgotten, never invented).
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

    /// <summary>Permits not recorded because the ledger was full (since start).</summary>
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
    public void Record(string partitionKey, RuleSet rules, long cost, long at)
    {
        var key = new CellKey(partitionKey, rules, LedgerCell.Start(rules, at));
        while (true)
        {
            if (!_cells.TryGetValue(key, out var cell))
            {
                if (Volatile.Read(ref _count) >= MaxCells)
                {
                    Interlocked.Add(ref _recordedOverflow, cost);
                    return;
                }

                var created = new Cell(at, LedgerCell.RelevantUntil(rules, at));
                cell = _cells.GetOrAdd(key, created);
                if (ReferenceEquals(cell, created))
                {
                    Interlocked.Increment(ref _count);
                }
            }

            if (TryAdd(cell, cost))
            {
                return;
            }

            // Sealed by a drain between lookup and add: the drain owns that cell now; start another.
            _cells.TryRemove(new KeyValuePair<CellKey, Cell>(key, cell));
        }
    }

    /// <summary>
    /// Takes up to <paramref name="granted"/> permits off what was admitted on fallback in the window of Redis time
    /// <paramref name="storeTime"/>: permits a late answer took in Redis pay for those admissions. Returns how many.
    /// </summary>
    public long Absorb(string partitionKey, RuleSet rules, long storeTime, long granted) =>
        TryTake(new CellKey(partitionKey, rules, LedgerCell.Start(rules, storeTime)), granted);

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
                drained.Add(new LedgerEntry(key.PartitionKey, key.Rules, permits, cell.At, cell.RelevantUntil));
            }
        }

        return drained;
    }

    /// <summary>Puts back an entry whose reconciliation failed, to be tried again.</summary>
    public void Restore(LedgerEntry entry) => Record(entry.PartitionKey, entry.Rules, entry.Permits, entry.At);

    /// <summary>Drops cells whose permits can no longer change a decision at Redis time <paramref name="now"/>; returns the permits dropped.</summary>
    public long Prune(long now)
    {
        long dropped = 0;
        foreach (var (key, cell) in _cells)
        {
            if (cell.RelevantUntil <= now && _cells.TryRemove(new KeyValuePair<CellKey, Cell>(key, cell)))
            {
                Interlocked.Decrement(ref _count);
                dropped += Math.Max(0, Interlocked.Exchange(ref cell.Permits, Sealed));
            }
        }

        return dropped;
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

        /// <summary>Redis time of the first admission recorded in the cell.</summary>
        public long At { get; } = at;

        public long RelevantUntil { get; } = relevantUntil;
    }
}
