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
}
