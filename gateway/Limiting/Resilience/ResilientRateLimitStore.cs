using Gateway.Limiting.Leasing;
using Gateway.Limiting.Policies;
using Gateway.Limiting.Storage;
using Gateway.Limiting.Storage.Redis;
using Microsoft.Extensions.Logging;

namespace Gateway.Limiting.Resilience;

/// <summary>
/// The Redis store as the middleware sees it: shared counters (through leases) while Redis answers, and each
/// policy's failure mode while it does not. With the circuit open no request waits on Redis: a live lease (or a
/// refusal Redis gave before the outage) still answers first, then the failure mode. Permits admitted on local
/// fallback are added to Redis's counters when it is back.
/// </summary>
internal sealed partial class ResilientRateLimitStore : IRateLimitStore, IDisposable
{
    private readonly IRateLimitStore _shared;
    private readonly LeasingRateLimitStore? _leases;
    private readonly RedisRateLimitStore _redis;
    private readonly StoreCircuitBreaker _breaker;
    private readonly InstanceRegistry _instances;
    private readonly InMemoryRateLimitStore _fallback;
    private readonly OutageLedger _ledger = new();
    private readonly TimeProvider _time;
    private readonly ILogger<ResilientRateLimitStore> _logger;

    public ResilientRateLimitStore(
        IRateLimitStore shared,
        RedisRateLimitStore redis,
        StoreCircuitBreaker breaker,
        InstanceRegistry instances,
        InMemoryRateLimitStore fallback,
        TimeProvider time,
        ILogger<ResilientRateLimitStore> logger)
    {
        _shared = shared;
        _leases = shared as LeasingRateLimitStore;
        _redis = redis;
        _breaker = breaker;
        _instances = instances;
        _fallback = fallback;
        _time = time;
        _logger = logger;
        // Fallback admissions reach Redis's counters before any request does again.
        _breaker.BeforeClosing = ReconcileAsync;
    }

    /// <summary>Keys with fallback admissions waiting to be added to Redis.</summary>
    public int PendingReconciliation => _ledger.Count;

    public ValueTask<RateLimitDecision> AcquireAsync(RateLimitRequest request, CancellationToken cancellationToken)
    {
        if (_breaker.IsOpen)
        {
            // Leases were paid for in Redis before it went away: they still answer first.
            if (_leases is not null && request.Consume && !request.Exact && _leases.TryDecideLocally(request, out var local))
            {
                return ValueTask.FromResult(local);
            }

            return ValueTask.FromResult(Degraded(request));
        }

        var pending = _shared.AcquireAsync(request, cancellationToken);
        return pending.IsCompletedSuccessfully ? pending : AwaitSharedAsync(pending, request);
    }

    public async ValueTask RefundAsync(RateLimitRequest request, DecisionBasis basis, CancellationToken cancellationToken)
    {
        switch (basis)
        {
            case DecisionBasis.Shared:
                try
                {
                    await _shared.RefundAsync(request, basis, cancellationToken).ConfigureAwait(false);
                }
                catch (StoreUnavailableException)
                {
                    // The permit stays spent: quota lost, never gained.
                }

                break;
            case DecisionBasis.LocalFallback:
                await _fallback.RefundAsync(request with { Rules = FallbackRuleSets.For(request.Rules, _instances.LiveInstances) }, basis, cancellationToken)
                    .ConfigureAwait(false);
                _ledger.Forget(request.PartitionKey, request.Rules, request.Cost);
                break;
        }
    }

    /// <summary>Drops this instance's local state of a partition whose shared counters were reset.</summary>
    public void Invalidate(string partitionKey)
    {
        _leases?.Invalidate(partitionKey);
        _fallback.Reset(partitionKey);
    }

    public void Dispose() => _breaker.BeforeClosing = null;

    private async ValueTask<RateLimitDecision> AwaitSharedAsync(ValueTask<RateLimitDecision> pending, RateLimitRequest request)
    {
        try
        {
            return await pending.ConfigureAwait(false);
        }
        catch (StoreUnavailableException e)
        {
            Log.Degraded(_logger, request.Rules.PolicyName, request.FailureMode, e.Message);
            return Degraded(request);
        }
    }

    private RateLimitDecision Degraded(in RateLimitRequest request)
    {
        switch (request.FailureMode)
        {
            case FailureMode.FailOpen:
                return RateLimitDecision.FailedOpen(request.Rules);
            case FailureMode.FailClosed:
                return RateLimitDecision.Unavailable(request.Rules);
        }

        // This instance's own counters at the fallback limits (a peek sees them too). The in-memory store never goes
        // asynchronous.
        var rules = FallbackRuleSets.For(request.Rules, _instances.LiveInstances);
        var decision = _fallback.AcquireAsync(request with { Rules = rules }, default).Result;
        if (decision.Allowed && request.Consume)
        {
            _ledger.Record(request.PartitionKey, request.Rules, request.Cost, _time.GetTimestamp());
        }

        return new RateLimitDecision(decision.Rules, decision.Results, DecisionBasis.LocalFallback);
    }

    /// <summary>Adds every permit admitted on fallback to Redis's counters, for windows still open.</summary>
    private async Task ReconcileAsync()
    {
        var entries = _ledger.Drain();
        if (entries.Count == 0)
        {
            return;
        }

        var now = _time.GetTimestamp();
        var failed = 0;
        long permits = 0;
        foreach (var (partitionKey, rules, count, since) in entries)
        {
            try
            {
                var age = (long)(_time.GetElapsedTime(since, now).Ticks / TimeSpan.TicksPerMicrosecond);
                await _redis.ReconcileAsync(partitionKey, rules, count, age, whileCircuitOpen: true).ConfigureAwait(false);
                permits += count;
            }
            catch (StoreUnavailableException)
            {
                failed++;
            }
        }

        Log.Reconciled(_logger, permits, entries.Count - failed, failed);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1406, Level = LogLevel.Debug, Message = "Store unavailable for policy {Policy}; failure mode {FailureMode}: {Reason}")]
        public static partial void Degraded(ILogger logger, string policy, FailureMode failureMode, string reason);

        [LoggerMessage(EventId = 1407, Level = LogLevel.Information, Message = "Reconciled {Permits} permits admitted on local fallback into Redis for {Keys} keys ({Failed} keys failed and are forgotten).")]
        public static partial void Reconciled(ILogger logger, long permits, int keys, int failed);
    }
}
