using Gateway.Limiting.Policies;
using Gateway.Limiting.Storage;
using Gateway.Tests.Support;
using static Gateway.Tests.Support.Time;

namespace Gateway.Tests.Limiting.Storage;

/// <summary>
/// Many threads on one key. The fake clock never moves, so no window can roll and every admission must come out of
/// the one budget: anything above the limit is a lost update.
/// </summary>
public sealed class InMemoryRateLimitStoreConcurrencyTests
{
    private const int Workers = 64;
    private const int Attempts = 5_000;

    [Fact]
    public async Task AcquireAsync_64ParallelWorkersOnOneKeyWithFixedWindow_AdmitExactlyTheLimit()
    {
        using var store = StoreFactory.Create(ClockAt(T0 + 123));
        var rules = Rules.Set(Rules.Fixed(1_000, TimeSpan.FromMinutes(1)));

        var admitted = await HammerAsync(store, "p|hot", rules, cost: 1);

        Assert.Equal(1_000, admitted);
        var after = store.Peek("p|hot", rules);
        Assert.False(after.Allowed);
        Assert.Equal(0, after.Results[0].Remaining);
    }

    [Fact]
    public async Task AcquireAsync_64ParallelWorkersOnOneKeyWithLargeLimit_AdmitExactlyTheLimit()
    {
        using var store = StoreFactory.Create(ClockAt(T0 + 123));
        var rules = Rules.Set(Rules.Fixed(100_000, TimeSpan.FromMinutes(1), "p-1m"), Rules.Sliding(150_000, TimeSpan.FromSeconds(1), "p-1s"));

        var admitted = await HammerAsync(store, "p|hot", rules, cost: 1, attempts: 120_000);

        Assert.Equal(100_000, admitted);
        Assert.Equal([0L, 50_000L], store.Peek("p|hot", rules, cost: 0).Results.ToArray().Select(r => r.Remaining));
    }

    [Fact]
    public async Task AcquireAsync_64ParallelWorkersOnOneKeyWithSeveralRules_AdmitExactlyTheTightestLimitAndNoMoreFromAnyRule()
    {
        using var store = StoreFactory.Create(ClockAt(T0 + 123));
        var rules = Rules.Set(
            Rules.Fixed(1_000, TimeSpan.FromMinutes(1), "p-1m"),
            Rules.Sliding(1_500, TimeSpan.FromSeconds(1), "p-1s"),
            Rules.Bucket(10, TimeSpan.FromSeconds(1), burst: 2_000, name: "p-1s-tb"),
            Rules.Fixed(700, TimeSpan.FromHours(1), "p-1h"));

        var admitted = await HammerAsync(store, "p|hot", rules, cost: 1);

        Assert.Equal(700, admitted);
        var after = store.Peek("p|hot", rules, cost: 0);
        Assert.Equal([300L, 800L, 1_300L, 0L], after.Results.ToArray().Select(r => r.Remaining));
    }

    [Fact]
    public async Task AcquireAsync_64ParallelWorkersWithCostThree_AdmitExactlyFloorOfLimitOverCost()
    {
        using var store = StoreFactory.Create(ClockAt(T0 + 123));
        var rules = Rules.Set(Rules.Fixed(1_000, TimeSpan.FromMinutes(1), "p-1m"), Rules.Bucket(1, TimeSpan.FromSeconds(1), burst: 3_000, name: "p-1s"));

        var admitted = await HammerAsync(store, "p|hot", rules, cost: 3);

        Assert.Equal(333, admitted);
        Assert.Equal([1L, 2_001L], store.Peek("p|hot", rules, cost: 0).Results.ToArray().Select(r => r.Remaining));
    }

    [Fact]
    public async Task AcquireAsync_64ParallelWorkersOnDistinctKeys_EachKeyAdmitsExactlyItsLimit()
    {
        using var store = StoreFactory.Create(ClockAt(T0 + 123));
        var rules = Rules.Set(Rules.Fixed(10, TimeSpan.FromMinutes(1)));
        var perKey = new int[8];
        using var start = new Barrier(Workers);

        var workers = Enumerable.Range(0, Workers).Select(w => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait();
                for (var i = 0; i < 200; i++)
                {
                    var key = (w + i) % perKey.Length;
                    if (store.Acquire($"p|k{key}", rules).Allowed)
                    {
                        Interlocked.Increment(ref perKey[key]);
                    }
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)).ToArray();
        await Task.WhenAll(workers);

        Assert.All(perKey, admitted => Assert.Equal(10, admitted));
    }

    /// <summary>
    /// Runs <paramref name="attempts"/> acquisitions spread over <see cref="Workers"/> tasks released together by a
    /// barrier. Each task gets its own thread (LongRunning): on a small thread pool, plain pool tasks would run a
    /// couple at a time and hardly ever interleave inside a decision.
    /// </summary>
    private static async Task<int> HammerAsync(IRateLimitStore store, string key, RuleSet rules, long cost, int attempts = Attempts)
    {
        var admitted = 0;
        var remainingAttempts = attempts;
        using var start = new Barrier(Workers);
        var workers = Enumerable.Range(0, Workers).Select(_ => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait();
                while (Interlocked.Decrement(ref remainingAttempts) >= 0)
                {
                    var pending = store.AcquireAsync(new RateLimitRequest(key, rules, cost), CancellationToken.None);
                    if (pending.GetAwaiter().GetResult().Allowed)
                    {
                        Interlocked.Increment(ref admitted);
                    }
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)).ToArray();

        await Task.WhenAll(workers);
        Assert.True(remainingAttempts < 0);
        return admitted;
    }
}
