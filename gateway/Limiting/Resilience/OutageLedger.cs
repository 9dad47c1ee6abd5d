using System.Collections.Concurrent;
using Gateway.Limiting.Policies;

namespace Gateway.Limiting.Resilience;

/// <summary>
/// Permits this instance admitted on local fallback, per key, since the store went away: when it answers again they
/// are added to its counters (for windows still open), so hour and day quotas stay honest after a blip. Bounded:
/// past <see cref="MaxKeys"/> new keys are not recorded (the quota they used is then forgotten, never invented).
/// </summary>
internal sealed class OutageLedger
{
    public const int MaxKeys = 100_000;

    private readonly ConcurrentDictionary<(string PartitionKey, RuleSet Rules), Entry> _entries = new();

    // Counted here: ConcurrentDictionary.Count takes every bucket lock, too much for each new key during an outage.
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public void Record(string partitionKey, RuleSet rules, long cost, long now)
    {
        if (!_entries.TryGetValue((partitionKey, rules), out var entry))
        {
            if (Volatile.Read(ref _count) >= MaxKeys)
            {
                return;
            }

            var created = new Entry(now);
            entry = _entries.GetOrAdd((partitionKey, rules), created);
            if (ReferenceEquals(entry, created))
            {
                Interlocked.Increment(ref _count);
            }
        }

        Interlocked.Add(ref entry.Permits, cost);
    }

    /// <summary>
    /// Takes refunded permits off a key's count, never below zero and never creating an entry: a refund that arrives
    /// after reconciliation took the entry must not turn into negative permits sent to the store.
    /// </summary>
    public void Forget(string partitionKey, RuleSet rules, long cost)
    {
        if (!_entries.TryGetValue((partitionKey, rules), out var entry))
        {
            return;
        }

        var current = Interlocked.Read(ref entry.Permits);
        while (current > 0)
        {
            var seen = Interlocked.CompareExchange(ref entry.Permits, Math.Max(0, current - cost), current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>Takes every entry out, for reconciliation.</summary>
    public List<(string PartitionKey, RuleSet Rules, long Permits, long Since)> Drain()
    {
        var drained = new List<(string, RuleSet, long, long)>();
        foreach (var key in _entries.Keys)
        {
            if (_entries.TryRemove(key, out var entry))
            {
                Interlocked.Decrement(ref _count);
                drained.Add((key.PartitionKey, key.Rules, Interlocked.Read(ref entry.Permits), entry.Since));
            }
        }

        return drained;
    }

    private sealed class Entry(long since)
    {
        public long Permits;

        /// <summary>Local timestamp of the first fallback admission: the reconciled permits fall in windows open since then.</summary>
        public long Since { get; } = since;
    }
}
