using Gateway.Limiting.Storage;
using Gateway.Limiting.Storage.Redis;

namespace Gateway.Limiting.Resilience;

/// <summary>
/// Failure mode <c>LocalFallback</c>: this instance's own counters, at each rule divided by
/// <see cref="InstanceRegistry.FallbackDivisor"/>, counted in Redis's windows (<see cref="StoreClock"/>). Every permit it
/// admits goes into the ledger, for a late answer to absorb or reconciliation to add to Redis's counters.
/// </summary>
internal sealed class LocalFallback
{
    private readonly InMemoryRateLimitStore _counters;
    private readonly FallbackLedger _ledger;
    private readonly InstanceRegistry _instances;
    private readonly StoreClock _clock;

    /// <param name="counters">The fallback's counters; their clock should be <paramref name="clock"/>.</param>
    /// <param name="ledger">Where admissions wait to be counted in Redis.</param>
    /// <param name="instances">What limits are divided by.</param>
    /// <param name="clock">Redis's time as estimated here.</param>
    public LocalFallback(InMemoryRateLimitStore counters, FallbackLedger ledger, InstanceRegistry instances, StoreClock clock)
    {
        _counters = counters;
        _ledger = ledger;
        _instances = instances;
        _clock = clock;
    }

    public FallbackLedger Ledger => _ledger;

    /// <summary>Decides on this instance's share of the limits; admissions are recorded in the ledger (a peek records nothing).</summary>
    public RateLimitDecision Decide(in RateLimitRequest request)
    {
        var rules = FallbackRuleSets.For(request.Rules, _instances.FallbackDivisor, request.Cost);
        var decision = _counters.Acquire(request with { Rules = rules });
        if (decision.Allowed && request.Consume)
        {
            _ledger.Record(request.PartitionKey, request.Rules, request.Cost, _clock.NowMicroseconds());
        }

        return new RateLimitDecision(decision.Rules, decision.Results, DecisionBasis.LocalFallback);
    }

    /// <summary>Gives a fallback admission's permits back, to the counters and off the ledger.</summary>
    public async ValueTask RefundAsync(RateLimitRequest request, CancellationToken cancellationToken)
    {
        var rules = FallbackRuleSets.For(request.Rules, _instances.FallbackDivisor, request.Cost);
        await _counters.RefundAsync(request with { Rules = rules }, DecisionBasis.LocalFallback, cancellationToken).ConfigureAwait(false);
        _ledger.Forget(request.PartitionKey, request.Rules, request.Cost, _clock.NowMicroseconds());
    }

    /// <summary>Drops the fallback counters, and the ledger cells, of a partition whose shared counters were reset.</summary>
    public void Invalidate(string partitionKey)
    {
        _counters.Reset(partitionKey);
        _ledger.Clear(partitionKey);
    }
}
