using Gateway.Limiting.Policies;
using Gateway.Limiting.Storage;

namespace Gateway.Limiting.Leasing;

/// <summary>
/// The store said a key is out of quota: requests costing at least <see cref="Cost"/> are refused locally until
/// <see cref="Until"/>, with no call to the store. That is the rejecting rule's retry time, or sooner when other
/// instances still hold leases that may come back.
/// </summary>
internal sealed class LeaseDenial
{
    private readonly RuleResult[] _results;
    private readonly long[] _resetDeadlines;
    private readonly long[] _retryDeadlines;

    private LeaseDenial(RuleSet rules, long cost, long until, RuleResult[] results, long[] resetDeadlines, long[] retryDeadlines)
    {
        Rules = rules;
        Cost = cost;
        Until = until;
        _results = results;
        _resetDeadlines = resetDeadlines;
        _retryDeadlines = retryDeadlines;
    }

    public RuleSet Rules { get; }

    /// <summary>The cost the store refused; a cheaper request may still fit and asks the store.</summary>
    public long Cost { get; }

    /// <summary>Local timestamp until which the refusal stands.</summary>
    public long Until { get; }

    /// <summary>Builds the refusal for a grant of nothing, asked for at local time <paramref name="askedAt"/>.</summary>
    public static LeaseDenial Create(RuleSet rules, long cost, LeaseGrant grant, long askedAt, TimeProvider time)
    {
        var count = grant.Results.Length;
        var resets = new long[count];
        var retries = new long[count];
        long retryAfter = 0;
        for (var i = 0; i < count; i++)
        {
            var result = grant.Results[i];
            resets[i] = askedAt + LocalTicks.FromMicroseconds(result.ResetAfter, time);
            retries[i] = askedAt + LocalTicks.FromMicroseconds(result.RetryAfter, time);
            retryAfter = Math.Max(retryAfter, result.Allowed ? 0 : result.RetryAfter);
        }

        // Permits other instances give back could admit requests before the rule itself would: ask again by then.
        var standsFor = grant.OthersHoldFor > 0 ? Math.Min(retryAfter, grant.OthersHoldFor) : retryAfter;
        return new LeaseDenial(rules, cost, askedAt + LocalTicks.FromMicroseconds(standsFor, time), grant.Results, resets, retries);
    }

    public RateLimitDecision Refused(long now, TimeProvider time)
    {
        var count = _results.Length;
        Span<RuleResult> results = count <= 16 ? stackalloc RuleResult[count] : new RuleResult[count];
        for (var i = 0; i < count; i++)
        {
            var original = _results[i];
            var retry = original.Allowed ? 0 : Math.Max(1, LocalTicks.MicrosecondsUntil(_retryDeadlines[i], now, time));
            results[i] = new RuleResult(original.Allowed, original.Remaining, LocalTicks.MicrosecondsUntil(_resetDeadlines[i], now, time), retry);
        }

        return new RateLimitDecision(Rules, results);
    }
}
