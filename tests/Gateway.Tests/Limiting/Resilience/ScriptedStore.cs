using Gateway.Limiting.Resilience;
using Gateway.Limiting.Storage;

namespace Gateway.Tests.Limiting.Resilience;

/// <summary>
/// The shared store as the resilient store sees it: admits every request (basis Shared) or, when <see cref="Fail"/>
/// is set, fails asynchronously with <see cref="StoreUnavailableException"/>, as the Redis store does past its
/// deadline; refunds fail the same way. Counts the calls that reach it.
/// </summary>
internal sealed class ScriptedStore : IRateLimitStore
{
    private int _calls;
    private int _refunds;

    public bool Fail { get; set; }

    /// <summary>
    /// When set, a call misses its deadline: it throws <see cref="StoreDeadlineExceededException"/> carrying this
    /// answer, which the test completes (inline) with what the call did in the store.
    /// </summary>
    public TaskCompletionSource<Gateway.Limiting.Leasing.LeaseGrant>? LateAnswer { get; set; }

    public int Calls => Volatile.Read(ref _calls);

    public int Refunds => Volatile.Read(ref _refunds);

    public ValueTask<RateLimitDecision> AcquireAsync(RateLimitRequest request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        if (LateAnswer is { } late)
        {
            return ValueTask.FromException<RateLimitDecision>(
                new StoreDeadlineExceededException("Redis did not answer within the deadline.", new TimeoutException(), late.Task));
        }

        return Fail ? FailAsync() : ValueTask.FromResult(Admit(request));
    }

    public ValueTask RefundAsync(RateLimitRequest request, DecisionBasis basis, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _refunds);
        return Fail ? new ValueTask(FailAsync().AsTask()) : ValueTask.CompletedTask;
    }

    private static RateLimitDecision Admit(RateLimitRequest request)
    {
        var results = request.Rules.Rules.Select(r => new RuleResult(true, r.Limit - request.Cost, 1, 0)).ToArray();
        return new RateLimitDecision(request.Rules, results);
    }

    private static async ValueTask<RateLimitDecision> FailAsync()
    {
        await Task.Yield();
        throw new StoreUnavailableException("Redis did not answer within the deadline.");
    }
}
