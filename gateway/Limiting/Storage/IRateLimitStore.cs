namespace Gateway.Limiting.Storage;

/// <summary>
/// Where counters live. One call evaluates every rule of a request and consumes from all of them or from none,
/// atomically: the in-memory store under one partition lock, the Redis store (next) in one Lua script.
/// </summary>
public interface IRateLimitStore
{
    /// <summary>
    /// Checks the request against every rule of its set and, when all admit it and <see cref="RateLimitRequest.Consume"/>
    /// is set, consumes its cost from each. A store does not throw for a denial; it throws only when it cannot decide.
    /// </summary>
    ValueTask<RateLimitDecision> AcquireAsync(RateLimitRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Gives back what an admitted request took (its backend never answered, and the policy refunds that), where the
    /// algorithm allows it: window counts while their window is open, bucket tokens up to the burst.
    /// <paramref name="basis"/> is the admitting decision's, so a fallback admission is refunded to the fallback.
    /// </summary>
    ValueTask RefundAsync(RateLimitRequest request, DecisionBasis basis, CancellationToken cancellationToken);
}
