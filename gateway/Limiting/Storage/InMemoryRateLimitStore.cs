using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Gateway.Limiting.Storage;

/// <summary>
/// The embedded store: exact for one instance. Partitions sit in a concurrent dictionary, each with its own lock,
/// so unrelated callers never contend. Memory is bounded twice over: a periodic sweep drops partitions whose
/// counters have all expired, and past <c>MaxPartitions</c> the partitions closest to expiry are evicted first
/// (those lose the least), so a flood of distinct subjects cannot grow the process without bound.
/// </summary>
internal sealed partial class InMemoryRateLimitStore : IRateLimitStore, IDisposable
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, InMemoryPartition> _partitions = new(StringComparer.Ordinal);
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<InMemoryRateLimitStore> _logger;
    private readonly int _maxPartitions;
    private readonly ITimer _sweepTimer;
    private readonly Lock _trimLock = new();
    private int _count;

    public InMemoryRateLimitStore(TimeProvider timeProvider, int maxPartitions, ILogger<InMemoryRateLimitStore> logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPartitions, 1);
        _timeProvider = timeProvider;
        _maxPartitions = maxPartitions;
        _logger = logger;
        _sweepTimer = timeProvider.CreateTimer(static s => ((InMemoryRateLimitStore)s!).SweepExpired(), this, SweepInterval, SweepInterval);
    }

    /// <summary>Partitions held now (approximate while requests race).</summary>
    public int PartitionCount => Volatile.Read(ref _count);

    public ValueTask<RateLimitDecision> AcquireAsync(RateLimitRequest request, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Acquire(request));

    /// <summary>Decides at once: this store never waits on anything but a partition's lock.</summary>
    public RateLimitDecision Acquire(in RateLimitRequest request)
    {
        while (true)
        {
            var partition = GetOrAddPartition(request.PartitionKey);
            RateLimitDecision decision;
            lock (partition)
            {
                if (partition.Removed)
                {
                    continue;
                }

                // Read the clock under the lock: decisions on one partition then see time only move forward.
                decision = partition.Decide(request, UnixTime.NowMicroseconds(_timeProvider));
            }

            // Trimming takes other partitions' locks, so it runs with none held.
            if (Volatile.Read(ref _count) > _maxPartitions)
            {
                TrimOverflow();
            }

            return decision;
        }
    }

    public ValueTask RefundAsync(RateLimitRequest request, DecisionBasis basis, CancellationToken cancellationToken)
    {
        if (_partitions.TryGetValue(request.PartitionKey, out var partition))
        {
            lock (partition)
            {
                if (!partition.Removed)
                {
                    partition.Refund(request, UnixTime.NowMicroseconds(_timeProvider));
                }
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Forgets a partition's counters (the admin API's reset).</summary>
    public void Reset(string partitionKey)
    {
        if (_partitions.TryGetValue(partitionKey, out var partition))
        {
            TryRemove(partitionKey, partition, UnixTime.NowMicroseconds(_timeProvider), evenIfLive: true);
        }
    }

    /// <summary>Drops every partition whose counters have expired. Runs on a timer; tests call it directly.</summary>
    public void SweepExpired()
    {
        var now = UnixTime.NowMicroseconds(_timeProvider);
        foreach (var (key, partition) in _partitions)
        {
            if (partition.ExpiresAt <= now)
            {
                TryRemove(key, partition, now, evenIfLive: false);
            }
        }
    }

    public void Dispose() => _sweepTimer.Dispose();

    private InMemoryPartition GetOrAddPartition(string key)
    {
        if (_partitions.TryGetValue(key, out var existing))
        {
            return existing;
        }

        var created = new InMemoryPartition();
        var partition = _partitions.GetOrAdd(key, created);
        if (ReferenceEquals(partition, created))
        {
            Interlocked.Increment(ref _count);
        }

        return partition;
    }

    private bool TryRemove(string key, InMemoryPartition partition, long now, bool evenIfLive)
    {
        lock (partition)
        {
            if (partition.Removed || (!evenIfLive && partition.ExpiresAt > now))
            {
                return false;
            }

            partition.Removed = true;
        }

        if (_partitions.TryRemove(new KeyValuePair<string, InMemoryPartition>(key, partition)))
        {
            Interlocked.Decrement(ref _count);
        }

        return true;
    }

    /// <summary>
    /// Brings the store back to 90% of its bound: expired partitions first, then those closest to expiry. Only one
    /// thread trims at a time, and a thread that finds the store over its bound waits for it rather than carrying
    /// on: otherwise, under a flood of new subjects, the threads adding partitions outrun the one trimming and the
    /// store grows far past its bound. So the bound is overshot at most by the threads in flight.
    /// </summary>
    private void TrimOverflow()
    {
        _trimLock.Enter();
        try
        {
            if (Volatile.Read(ref _count) <= _maxPartitions)
            {
                return;
            }

            SweepExpired();
            var target = _maxPartitions - (_maxPartitions / 10);
            var excess = Volatile.Read(ref _count) - target;
            if (excess <= 0)
            {
                return;
            }

            var now = UnixTime.NowMicroseconds(_timeProvider);
            var candidates = _partitions.Select(static p => (p.Key, p.Value, p.Value.ExpiresAt)).ToArray();
            Array.Sort(candidates, static (a, b) => a.ExpiresAt.CompareTo(b.ExpiresAt));
            var evicted = 0;
            foreach (var (key, partition, _) in candidates)
            {
                if (evicted >= excess)
                {
                    break;
                }

                if (TryRemove(key, partition, now, evenIfLive: true))
                {
                    evicted++;
                }
            }

            Log.PartitionsEvicted(_logger, evicted, _maxPartitions);
        }
        finally
        {
            _trimLock.Exit();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1101, Level = LogLevel.Warning,
            Message = "In-memory rate limit store reached {MaxPartitions} partitions; evicted {Evicted} live partitions closest to expiry. Raise RateLimiting:Store:InMemory:MaxPartitions if this is real traffic.")]
        public static partial void PartitionsEvicted(ILogger logger, int evicted, int maxPartitions);
    }
}
