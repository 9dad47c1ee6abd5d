using Gateway.Limiting.Leasing;
using Gateway.Limiting.Storage;
using Microsoft.Extensions.Logging;

namespace Gateway.Limiting.Resilience;

/// <summary>
/// The Redis store as the middleware sees it: shared counters (through leases) while Redis answers, and each policy's
/// failure mode while it does not. Nothing is decided before the warm start has settled: a request that arrives early
/// waits for it. With the circuit open no request waits on Redis: a live lease (or a refusal Redis gave before the
/// outage) still answers first, then the failure mode. A call that misses its deadline is decided by the failure
/// mode, and its late answer is settled against what that decided (<see cref="LateAnswers"/>).
/// </summary>
internal sealed partial class ResilientRateLimitStore : IRateLimitStore
{
    private readonly IRateLimitStore _shared;
    private readonly LeasingRateLimitStore? _leases;
    private readonly StoreCircuitBreaker _breaker;
    private readonly StoreReadiness _readiness;
    private readonly LocalFallback _fallback;
    private readonly LateAnswers _lateAnswers;
    private readonly FailureModeDecisions _failureModeDecisions;
    private readonly ILogger<ResilientRateLimitStore> _logger;

    public ResilientRateLimitStore(
        IRateLimitStore shared,
        StoreCircuitBreaker breaker,
        StoreReadiness readiness,
        LocalFallback fallback,
        LateAnswers lateAnswers,
        FailureModeDecisions failureModeDecisions,
        ILogger<ResilientRateLimitStore> logger)
    {
        _shared = shared;
        _leases = shared as LeasingRateLimitStore;
        _breaker = breaker;
        _readiness = readiness;
        _fallback = fallback;
        _lateAnswers = lateAnswers;
        _failureModeDecisions = failureModeDecisions;
        _logger = logger;
    }

    /// <summary>Ledger cells (key x rule set x window) with fallback admissions not yet counted in Redis (for tests).</summary>
    public int PendingLedgerCells => _fallback.Ledger.Count;

    public ValueTask<RateLimitDecision> AcquireAsync(RateLimitRequest request, CancellationToken cancellationToken)
    {
        if (!_readiness.IsSettled)
        {
            return AcquireWhenSettledAsync(request, cancellationToken);
        }

        if (_breaker.IsOpen)
        {
            // Leases were paid for in Redis before it went away: they still answer first.
            if (_leases is not null && request.Consume && !request.Exact && _leases.TryDecideLocally(request, out var local))
            {
                return ValueTask.FromResult(local);
            }

            return ValueTask.FromResult(Degraded(request, _breaker.OpenReason ?? "the circuit is open"));
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
                await _fallback.RefundAsync(request, cancellationToken).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>Drops this instance's local state of a partition whose shared counters were reset.</summary>
    public void Invalidate(string partitionKey)
    {
        _leases?.Invalidate(partitionKey);
        _fallback.Invalidate(partitionKey);
    }

    private async ValueTask<RateLimitDecision> AcquireWhenSettledAsync(RateLimitRequest request, CancellationToken cancellationToken)
    {
        // The warm start is bounded (StartupTimeout): past it the gateway serves in its failure mode.
        await _readiness.Settled.WaitAsync(cancellationToken).ConfigureAwait(false);
        return await AcquireAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<RateLimitDecision> AwaitSharedAsync(ValueTask<RateLimitDecision> pending, RateLimitRequest request)
    {
        try
        {
            return await pending.ConfigureAwait(false);
        }
        catch (StoreDeadlineExceededException e)
        {
            // Decided (and recorded) first, so the late answer pays for this very decision if it admitted.
            var decision = Degraded(request, e.Message);
            _lateAnswers.Settle(request, e.LateAnswer);
            return decision;
        }
        catch (StoreUnavailableException e)
        {
            return Degraded(request, e.Message);
        }
    }

    private RateLimitDecision Degraded(in RateLimitRequest request, string reason)
    {
        _failureModeDecisions.Record(request.Rules.PolicyName, request.FailureMode, reason);
        Log.Degraded(_logger, request.Rules.PolicyName, request.FailureMode, reason);
        return request.FailureMode switch
        {
            FailureMode.FailOpen => RateLimitDecision.FailedOpen(request.Rules),
            FailureMode.FailClosed => RateLimitDecision.Unavailable(request.Rules),
            _ => _fallback.Decide(request),
        };
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1406, Level = LogLevel.Debug, Message = "Store unavailable for policy {Policy}; failure mode {FailureMode}: {Reason}")]
        public static partial void Degraded(ILogger logger, string policy, FailureMode failureMode, string reason);
    }
}
