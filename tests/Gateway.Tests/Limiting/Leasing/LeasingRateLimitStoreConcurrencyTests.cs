using Gateway.Limiting.Storage;

namespace Gateway.Tests.Limiting.Leasing;

/// <summary>Many requests at once: one store call per refill, and never more admitted than the limit.</summary>
public sealed class LeasingRateLimitStoreConcurrencyTests
{
    /// <summary>Only guards against a hang; nothing here depends on how long anything takes.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AcquireAsync_ManyRequestsFindTheLeaseEmptyWhileAGrantIsPending_ShareThatOneGrant()
    {
        const int requests = 64;
        using var rig = new LeaseRig(limit: 1_000_000, maxLeaseSize: 1_000);
        long admitted = rig.Warm();
        rig.Source.BlockGrants();
        var calls = rig.Source.GrantCalls;

        // Down to the low watermark: the next batch is asked for, and the store holds the answer back.
        while (rig.Source.GrantCalls == calls)
        {
            Assert.True(rig.Acquire().Allowed);
            admitted++;
        }

        // The lease still serves while the batch is pending, until it is empty.
        while (rig.HeldPermits() > 0)
        {
            Assert.True(rig.Acquire().Allowed);
            admitted++;
        }

        calls = rig.Source.GrantCalls;
        var pending = new Task<RateLimitDecision>[requests];
        Parallel.For(0, requests, i => pending[i] = rig.AcquireAsync().AsTask());

        Assert.All(pending, p => Assert.False(p.IsCompleted));
        Assert.Equal(calls, rig.Source.GrantCalls);

        rig.Source.OpenGrants();
        var decisions = await Task.WhenAll(pending).WaitAsync(HangGuard);

        Assert.All(decisions, d => Assert.True(d.Allowed));
        Assert.Equal(calls, rig.Source.GrantCalls);
        Assert.Equal(1_000, rig.Source.Grants[^1].Granted);
        Assert.Equal(1_000 - requests, rig.HeldPermits());
        Assert.Equal(admitted + requests + rig.HeldPermits(), rig.Source.Count(LeaseRig.Key));
        Assert.Empty(rig.Source.ExactRequests);
    }

    /// <summary>
    /// The source's counter is the truth: whatever leases, refills, prefetches and exact fallbacks the layer makes
    /// under contention, it admits exactly the limit (the source never grants more), and no permit stays parked.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AcquireAsync_OneKeyHammeredFromManyWorkers_AdmitsExactlyTheLimit(bool asyncSource)
    {
        const int workers = 16;
        const int perWorker = 125;
        const long limit = 100;
        using var rig = new LeaseRig(limit: limit, maxLeaseSize: 1_000);
        rig.Source.YieldOnGrant = asyncSource;
        var admitted = 0;
        var refused = 0;
        // Released together, and waiting without blocking a thread: every worker is queued before any starts.
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var tasks = Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            await start.Task;
            for (var i = 0; i < perWorker; i++)
            {
                var decision = await rig.AcquireAsync();
                if (decision.Allowed)
                {
                    Interlocked.Increment(ref admitted);
                }
                else
                {
                    Interlocked.Increment(ref refused);
                }
            }
        })).ToList();
        start.SetResult();
        await Task.WhenAll(tasks).WaitAsync(HangGuard);

        Assert.Equal(workers * perWorker, admitted + refused);
        Assert.Equal(limit, admitted);
        Assert.Equal(limit, rig.Source.Count(LeaseRig.Key));
        Assert.Equal(0, rig.HeldPermits());
    }

    [Fact]
    public async Task AcquireAsync_SharedRefillFails_EveryWaiterFailsAndTheNextRequestAsksAgain()
    {
        using var rig = new LeaseRig();
        Assert.True(rig.Acquire().Allowed); // a lease of one, now empty
        rig.Source.BlockGrants();
        rig.Source.FailGrants = true;
        var pending = Enumerable.Range(0, 8).Select(_ => rig.AcquireAsync().AsTask()).ToList();
        Assert.Equal(2, rig.Source.GrantCalls);

        rig.Source.OpenGrants();

        foreach (var request in pending)
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => request.WaitAsync(HangGuard));
        }

        Assert.Equal(2, rig.Source.GrantCalls);
        rig.Source.FailGrants = false;
        Assert.True(rig.Acquire().Allowed);
        Assert.Equal(3, rig.Source.GrantCalls);
    }
}
