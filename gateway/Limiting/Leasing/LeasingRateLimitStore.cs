using System.Collections.Concurrent;
using Gateway.Limiting.Policies;
using Gateway.Limiting.Resilience;
using Gateway.Limiting.Storage;
using Gateway.Observability;
using Microsoft.Extensions.Logging;

namespace Gateway.Limiting.Leasing;

/// <summary>
/// Puts local quota leases in front of a shared store. A request takes its permits from this instance's lease for
/// the key, with no I/O; when the lease runs low one refill (shared by every request waiting for it) asks the store
/// for a batch sized to the key's recent local rate. The store consumes a batch before it is handed out, so all
/// instances together never admit more than the limit; what leases cost is quota parked in them, which the store
/// bounds (batches shrink as the key nears its limit) and this class returns (unused permits go back when a lease
/// expires or the gateway stops). A key the store refused is answered locally until it can admit again.
/// </summary>
internal sealed partial class LeasingRateLimitStore : IRateLimitStore, IAsyncDisposable, IDisposable
{
    /// <summary>The longest a stopping gateway waits for the store to take unused permits back.</summary>
    private static readonly TimeSpan ReturnTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Refills a request may wait for before it is decided by one exact call instead.</summary>
    private const int MaxRefillWaits = 3;

    private readonly ConcurrentDictionary<string, LeasedPartition> _partitions = new(StringComparer.Ordinal);
    private readonly IRateLimitStore _exact;
    private readonly ILeaseSource _source;
    private readonly ILateGrantAbsorber? _absorber;
    private readonly LeaseSettings _settings;
    private readonly TimeProvider _time;
    private readonly ILogger<LeasingRateLimitStore> _logger;
    private readonly ITimer _sweepTimer;
    private readonly Lock _trimLock = new();
    private readonly long _coverageTicks;
    private readonly long _touchGranularity;
    private readonly long _holdMicros;
    private readonly PendingTasks _pendingReturns = new();
    private int _count;
    private volatile bool _stopping;

    /// <param name="exact">Decides a request in the store itself (exact mode, peeks, a stopping gateway).</param>
    /// <param name="source">Grants and takes back batches of permits.</param>
    /// <param name="settings">Lease sizes and lifetimes.</param>
    /// <param name="time">The local clock leases measure durations on.</param>
    /// <param name="logger">Warnings about returns that failed and keys evicted.</param>
    /// <param name="absorber">What a refill that answered after its deadline pays for first (the fallback ledger); none in unit tests.</param>
    public LeasingRateLimitStore(
        IRateLimitStore exact, ILeaseSource source, LeaseSettings settings, TimeProvider time, ILogger<LeasingRateLimitStore> logger, ILateGrantAbsorber? absorber = null)
    {
        _exact = exact;
        _source = source;
        _absorber = absorber;
        _settings = settings;
        _time = time;
        _logger = logger;
        _coverageTicks = LocalTicks.FromMicroseconds(settings.Coverage.Ticks / TimeSpan.TicksPerMicrosecond, time);
        _touchGranularity = LocalTicks.FromMicroseconds(settings.SweepInterval.Ticks / TimeSpan.TicksPerMicrosecond / 4, time);
        _holdMicros = settings.HoldTime.Ticks / TimeSpan.TicksPerMicrosecond;
        _sweepTimer = time.CreateTimer(static s => ((LeasingRateLimitStore)s!).Sweep(), this, settings.SweepInterval, settings.SweepInterval);
    }

    /// <summary>Keys with lease state now (approximate while requests race).</summary>
    public int PartitionCount => Volatile.Read(ref _count);

    public ValueTask<RateLimitDecision> AcquireAsync(RateLimitRequest request, CancellationToken cancellationToken)
    {
        // A peek must see the shared state, a policy in exact mode wants one store call per request, and a gateway that
        // is stopping takes no new leases: it is giving its permits back.
        if (!request.Consume || request.Exact || _stopping)
        {
            return _exact.AcquireAsync(request, cancellationToken);
        }

        var partition = GetOrAddPartition(request.PartitionKey);
        var now = _time.GetTimestamp();
        partition.Touch(now, _touchGranularity);
        if (TryDecideLocally(partition, request, now, out var decision))
        {
            // A hit: decided without waiting on the store (decisions made after a refill are not counted here).
            GatewayMetrics.LeaseDecisions.Add(1);
            return ValueTask.FromResult(decision);
        }

        return AcquireSlowAsync(partition, request, cancellationToken);
    }

    public ValueTask RefundAsync(RateLimitRequest request, DecisionBasis basis, CancellationToken cancellationToken)
    {
        // Back into the live lease when there is one for these rules: no call at all.
        if (!request.Exact && _partitions.TryGetValue(request.PartitionKey, out var partition) && partition.Current is { } lease
            && ReferenceEquals(lease.Rules, request.Rules) && _time.GetTimestamp() < lease.ExpiresAt && lease.TryAdd(request.Cost))
        {
            return ValueTask.CompletedTask;
        }

        return _exact.RefundAsync(request, basis, cancellationToken);
    }

    /// <summary>
    /// Drops a key's local state after its counters were reset in the store: the lease's permits belong to counters
    /// that no longer exist (nothing goes back), and a cached refusal no longer holds.
    /// </summary>
    public void Invalidate(string partitionKey)
    {
        if (_partitions.TryGetValue(partitionKey, out var partition))
        {
            // First the generation: a refill in flight then discards what it brings back (see RefillAsync).
            partition.NextGeneration();
            partition.DetachAny()?.Close();
            partition.Denial = null;
        }
    }

    /// <summary>Permits this instance holds for a key, not yet handed out (for tests and diagnostics).</summary>
    public long HeldPermits(string partitionKey) =>
        _partitions.TryGetValue(partitionKey, out var partition) && partition.Current is { } lease ? lease.Available : 0;

    /// <summary>
    /// Closes every lease and gives its unused permits back. Called when the gateway stops: from then on any request
    /// still in flight is decided exactly, so no new lease is taken.
    /// </summary>
    public async Task ReturnAllAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        var leases = 0;
        // Twice: a refill in flight during the first pass installs its lease after it.
        for (var pass = 0; pass < 2; pass++)
        {
            var refills = new List<Task>();
            foreach (var partition in _partitions.Values)
            {
                if (partition.DetachAny() is { } lease)
                {
                    leases++;
                    Track(ReleaseAsync(partition.Key, lease, lastLease: true, cancellationToken));
                }

                if (partition.PendingRefill is { } refill)
                {
                    refills.Add(refill);
                }
            }

            await Task.WhenAll(refills.Select(static t => t.ContinueWith(static _ => { }, TaskScheduler.Default))).WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        await _pendingReturns.WhenAll().WaitAsync(cancellationToken).ConfigureAwait(false);
        Log.LeasesReturned(_logger, leases);
    }

    /// <summary>
    /// Gives unused permits back, then stops the sweep. The container disposes this store before the Redis connection
    /// it was built on (reverse order of creation), so the returns still have a connection when the gateway stops.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await _sweepTimer.DisposeAsync().ConfigureAwait(false);
        using var timeout = new CancellationTokenSource(ReturnTimeout);
        try
        {
            await ReturnAllAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Log.ReturnTimedOut(_logger, ReturnTimeout);
        }
    }

    public void Dispose() => _sweepTimer.Dispose();

    /// <summary>
    /// Decides from this instance's lease or cached refusal alone, without the store; false when neither can answer.
    /// The failure path uses it: while Redis is down, permits already leased still serve.
    /// </summary>
    public bool TryDecideLocally(in RateLimitRequest request, out RateLimitDecision decision)
    {
        if (_partitions.TryGetValue(request.PartitionKey, out var partition) && TryDecideLocally(partition, request, _time.GetTimestamp(), out decision))
        {
            GatewayMetrics.LeaseDecisions.Add(1);
            return true;
        }

        decision = default;
        return false;
    }

    private bool TryDecideLocally(LeasedPartition partition, in RateLimitRequest request, long now, out RateLimitDecision decision)
    {
        var lease = partition.Current;
        // A reload or an override gives the caller a new rule set: a lease taken under the old one no longer applies.
        if (lease is not null && ReferenceEquals(lease.Rules, request.Rules) && now < lease.ExpiresAt && lease.TryTake(request.Cost, out var left))
        {
            if (left <= lease.LowWatermark && lease.ClaimPrefetch())
            {
                StartPrefetch(partition, request.Rules);
            }

            decision = lease.Admitted(left, now, _time);
            return true;
        }

        var denial = partition.Denial;
        if (denial is not null && ReferenceEquals(denial.Rules, request.Rules) && now < denial.Until && request.Cost >= denial.Cost)
        {
            decision = denial.Refused(now, _time);
            return true;
        }

        decision = default;
        return false;
    }

    private async ValueTask<RateLimitDecision> AcquireSlowAsync(LeasedPartition partition, RateLimitRequest request, CancellationToken cancellationToken)
    {
        // A stopping gateway takes no new lease, not even for a request that was already waiting.
        for (var wait = 0; wait < MaxRefillWaits && !_stopping; wait++)
        {
            var refill = partition.JoinOrStartRefill(static (p, s) => s.Store.RefillAsync(p, s.Rules, s.Need), (Store: this, request.Rules, Need: request.Cost));
            if (refill is null)
            {
                // The sweeper dropped the partition between lookup and now.
                partition = GetOrAddPartition(request.PartitionKey);
                continue;
            }

            await refill.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (TryDecideLocally(partition, request, _time.GetTimestamp(), out var decision))
            {
                return decision;
            }
        }

        // Other requests keep draining each refill (the key is close to its limit): decide this one exactly.
        return await _exact.AcquireAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private void StartPrefetch(LeasedPartition partition, RuleSet rules)
    {
        if (partition.RefillInFlight)
        {
            return;
        }

        var refill = partition.JoinOrStartRefill(static (p, s) => s.Store.RefillAsync(p, s.Rules, 1), (Store: this, Rules: rules));
        refill?.ContinueWith(
            static (t, s) =>
            {
                // Redis late or down is the failure modes' business (they log it); anything else is worth a warning.
                if (t.Exception!.GetBaseException() is not StoreUnavailableException)
                {
                    Log.PrefetchFailed((ILogger)s!, t.Exception.GetBaseException());
                }
            },
            _logger,
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private async Task RefillAsync(LeasedPartition partition, RuleSet rules, long need)
    {
        var askedAt = _time.GetTimestamp();
        var generation = partition.Generation;
        var previous = partition.Current;
        var sameRules = previous is not null && ReferenceEquals(previous.Rules, rules);
        var holding = sameRules && previous!.Available > 0 && askedAt < previous.ExpiresAt;
        var want = sameRules ? LeaseSize(previous!, askedAt, need) : need;

        LeaseGrant grant;
        try
        {
            // One refill serves many requests: none of their cancellations may abandon it halfway.
            grant = await _source.GrantAsync(
                new LeaseRequest(partition.Key, rules, need, want, _holdMicros, holding), CancellationToken.None).ConfigureAwait(false);
        }
        catch (StoreDeadlineExceededException late) when (late.LateAnswer is Task<LeaseGrant> answer)
        {
            // The requests waiting on this refill are decided by their failure mode now; what the call grants when it
            // answers pays for those decisions first, and the rest still serves as a lease. The waiters get an error
            // without the late answer: it is accounted for here, once.
            // Tracked like returns: a stopping gateway waits for it, so its permits go back before the connection closes.
            Track(AcceptLateGrantAsync(partition, rules, need, want, generation, askedAt, answer));
            throw new StoreUnavailableException(late.Message, late);
        }

        ApplyGrant(partition, rules, need, want, generation, askedAt, grant);
    }

    /// <summary>
    /// A refill that missed its deadline answered after all: the permits it took first pay for the fallback admissions of
    /// the key in that window (they were made because this call was late), the rest is a lease like any other.
    /// </summary>
    private async Task AcceptLateGrantAsync(LeasedPartition partition, RuleSet rules, long need, long want, int generation, long askedAt, Task<LeaseGrant> answer)
    {
        if (await StoreDeadlineExceededException.GrantWhenAnsweredAsync(answer).ConfigureAwait(false) is not { } grant)
        {
            return;
        }

        if (grant.Granted == 0)
        {
            // A refusal: the key was out of quota, which a cached refusal may as well know.
            ApplyGrant(partition, rules, need, want, generation, askedAt, grant);
            return;
        }

        var absorbed = _absorber?.Absorb(partition.Key, rules, grant.StoreTime, grant.Granted) ?? 0;
        if (absorbed < grant.Granted)
        {
            GatewayMetrics.LatePermits.Add(grant.Granted - absorbed, new KeyValuePair<string, object?>("use", "leased"));
            ApplyGrant(partition, rules, need, want, generation, askedAt, grant with { Granted = grant.Granted - absorbed });
        }
    }

    private void ApplyGrant(LeasedPartition partition, RuleSet rules, long need, long want, int generation, long askedAt, LeaseGrant grant)
    {
        if (partition.Generation != generation)
        {
            // The key was reset while the store answered: the grant (or refusal) is about counters that no longer
            // exist. Its permits are dropped, not handed out and not given back into the fresh counters.
            return;
        }

        if (grant.Granted == 0)
        {
            partition.Denial = LeaseDenial.Create(rules, need, grant, askedAt, _time);
            return;
        }

        var lease = Lease.Create(rules, grant, refillEarly: want > need, askedAt, _settings.Duration, _time);
        var replaced = partition.Install(lease);
        partition.Denial = null;
        if (replaced is not null)
        {
            CarryOver(partition, replaced, lease);
        }

        if ((partition.Removed || _stopping) && partition.TryDetach(lease))
        {
            // Evicted, or the gateway began stopping, while the store was answering: nothing will serve from this
            // lease, so it goes straight back.
            Track(ReleaseAsync(partition.Key, lease, lastLease: true, CancellationToken.None));
        }
    }

    /// <summary>
    /// Sizes a refill from the key's local rate over the lease it replaces: enough to cover <see cref="LeaseSettings.Coverage"/>
    /// of that traffic, at least the request's cost, at most <see cref="LeaseSettings.MaxLeaseSize"/>. A key seen once
    /// in a while gets exactly what the request costs; the store shrinks the batch further near the limit. The rate is
    /// measured over at least a quarter of the coverage, so a lease grows at most fourfold per refill: a few requests
    /// arriving together say little about the rate, and a lease sized on them would outlast the traffic.
    /// </summary>
    private long LeaseSize(Lease previous, long now, long need)
    {
        var elapsed = Math.Max(now - previous.GrantedAt, _coverageTicks / 4);
        var perCoverage = Math.Ceiling(previous.HandedOut * (double)_coverageTicks / Math.Max(1, elapsed));
        var want = (long)Math.Min(perCoverage, _settings.MaxLeaseSize);
        return Math.Max(need, want);
    }

    /// <summary>Unused permits of a replaced lease join the new one when both belong to the same windows; otherwise they go back.</summary>
    private void CarryOver(LeasedPartition partition, Lease replaced, Lease next)
    {
        var unused = replaced.Close();
        if (unused == 0)
        {
            return;
        }

        var sameWindows = ReferenceEquals(replaced.Rules, next.Rules) && replaced.WindowEnd == next.WindowEnd
            && _time.GetTimestamp() < replaced.ExpiresAt;
        if (sameWindows && next.TryAdd(unused))
        {
            return;
        }

        Track(ReleaseAsync(partition.Key, replaced, unused, lastLease: false, CancellationToken.None));
    }

    private Task ReleaseAsync(string partitionKey, Lease lease, bool lastLease, CancellationToken cancellationToken) =>
        ReleaseAsync(partitionKey, lease, lease.Close(), lastLease, cancellationToken);

    private async Task ReleaseAsync(string partitionKey, Lease lease, long unused, bool lastLease, CancellationToken cancellationToken)
    {
        // Counts of a closed window no longer matter: a lease that ran to the end of the only window its rules have has
        // nothing worth a call. Nor has an empty one: its mark in the store expires by itself.
        var worthless = lease.EndsWithWindow && !lease.OutlivesItsWindow && _time.GetTimestamp() >= lease.ExpiresAt;
        if (unused == 0 || worthless)
        {
            return;
        }

        try
        {
            await _source.ReleaseAsync(new LeaseRelease(partitionKey, lease.Rules, unused, lease.StoreTime, lastLease), cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The permits stay consumed until their window ends: quota lost, never quota gained.
            Log.ReturnFailed(_logger, e, unused);
        }
    }

    /// <summary>Keeps fire-and-forget returns in sight, so a stopping gateway waits for them before its connection closes.</summary>
    private void Track(Task release) => _pendingReturns.Track(release);

    private LeasedPartition GetOrAddPartition(string key)
    {
        if (_partitions.TryGetValue(key, out var existing) && !existing.Removed)
        {
            return existing;
        }

        while (true)
        {
            var created = new LeasedPartition(key, _time.GetTimestamp());
            var partition = _partitions.GetOrAdd(key, created);
            if (partition.Removed)
            {
                Remove(key, partition);
                continue;
            }

            if (ReferenceEquals(partition, created) && Interlocked.Increment(ref _count) > _settings.MaxKeys)
            {
                TrimOverflow();
            }

            return partition;
        }
    }

    /// <summary>Collects expired leases (returning what they did not use) and drops keys idle for a while.</summary>
    internal void Sweep()
    {
        var now = _time.GetTimestamp();
        var idleSince = now - (2 * LocalTicks.FromMicroseconds(_holdMicros, _time));
        foreach (var (key, partition) in _partitions)
        {
            if (partition.Current is { } lease && now >= lease.ExpiresAt && partition.TryDetach(lease))
            {
                // Permits going back make a refusal cached here stale: the next request asks the store.
                if (lease.Available > 0)
                {
                    partition.Denial = null;
                }

                Track(ReleaseAsync(key, lease, lastLease: true, CancellationToken.None));
            }

            if (partition.Denial is { } denial && now >= denial.Until)
            {
                partition.Denial = null;
            }

            if (partition.Denial is null && partition.TryRemoveIfIdle(idleSince))
            {
                Remove(key, partition);
            }
        }
    }

    private void Remove(string key, LeasedPartition partition)
    {
        if (_partitions.TryRemove(new KeyValuePair<string, LeasedPartition>(key, partition)))
        {
            Interlocked.Decrement(ref _count);
        }
    }

    /// <summary>Past <see cref="LeaseSettings.MaxKeys"/>, drops the least recently used tenth, returning their leases.</summary>
    private void TrimOverflow()
    {
        if (!_trimLock.TryEnter())
        {
            return;
        }

        try
        {
            var excess = Volatile.Read(ref _count) - (_settings.MaxKeys - (_settings.MaxKeys / 10));
            if (excess <= 0)
            {
                return;
            }

            var oldest = _partitions.Values.OrderBy(static p => p.LastUsed).Take(excess).ToList();
            foreach (var partition in oldest)
            {
                if (partition.ForceRemove() is { } lease)
                {
                    Track(ReleaseAsync(partition.Key, lease, lastLease: true, CancellationToken.None));
                }

                Remove(partition.Key, partition);
            }

            Log.KeysEvicted(_logger, oldest.Count, _settings.MaxKeys);
        }
        finally
        {
            _trimLock.Exit();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "Could not give {Count} unused leased permits back to the store; they stay consumed until their window ends.")]
        public static partial void ReturnFailed(ILogger logger, Exception exception, long count);

        [LoggerMessage(EventId = 1302, Level = LogLevel.Warning, Message = "An early lease refill failed; the next request that finds the lease empty will try again.")]
        public static partial void PrefetchFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 1303, Level = LogLevel.Warning, Message = "Lease table reached {MaxKeys} keys; dropped the {Evicted} least recently used. Raise RateLimiting:Store:Leases:MaxKeys if this is real traffic.")]
        public static partial void KeysEvicted(ILogger logger, int evicted, int maxKeys);

        [LoggerMessage(EventId = 1305, Level = LogLevel.Warning, Message = "Gave up returning unused leased permits after {Timeout}; they stay consumed until their windows end.")]
        public static partial void ReturnTimedOut(ILogger logger, TimeSpan timeout);

        [LoggerMessage(EventId = 1304, Level = LogLevel.Information, Message = "Returned the unused permits of {Leases} leases to the store.")]
        public static partial void LeasesReturned(ILogger logger, int leases);
    }
}
