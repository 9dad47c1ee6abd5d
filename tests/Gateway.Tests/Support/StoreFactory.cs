using Gateway.Limiting.Policies;
using Gateway.Limiting.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Support;

internal static class StoreFactory
{
    public static InMemoryRateLimitStore Create(FakeTimeProvider clock, int maxPartitions = 10_000) =>
        new(clock, maxPartitions, NullLogger<InMemoryRateLimitStore>.Instance);

    /// <summary>Acquires synchronously: the in-memory store always completes at once.</summary>
    public static RateLimitDecision Acquire(this IRateLimitStore store, string partitionKey, RuleSet rules, long cost = 1, bool consume = true)
    {
        var pending = store.AcquireAsync(new RateLimitRequest(partitionKey, rules, cost, consume), CancellationToken.None);
        Assert.True(pending.IsCompletedSuccessfully);
        return pending.Result;
    }

    public static RateLimitDecision Peek(this IRateLimitStore store, string partitionKey, RuleSet rules, long cost = 1) =>
        store.Acquire(partitionKey, rules, cost, consume: false);

    public static int AcquireMany(this IRateLimitStore store, string partitionKey, RuleSet rules, int attempts, long cost = 1)
    {
        var admitted = 0;
        for (var i = 0; i < attempts; i++)
        {
            if (store.Acquire(partitionKey, rules, cost).Allowed)
            {
                admitted++;
            }
        }

        return admitted;
    }
}
