using Gateway.Limiting.Storage;

namespace Gateway.Tests.Limiting.Leasing;

/// <summary>A store that cannot answer: the request fails (the middleware answers 503), and nothing sticks.</summary>
public sealed class LeasingRateLimitStoreFailureTests
{
    [Fact]
    public async Task AcquireAsync_SourceThrows_ThrowsAndTheFailureIsNotCached()
    {
        using var rig = new LeaseRig();
        rig.Source.FailGrants = true;

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await rig.AcquireAsync());
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await rig.AcquireAsync());
        Assert.Equal(2, rig.Source.GrantCalls); // the second request asked again rather than rethrowing the first failure

        rig.Source.FailGrants = false;
        var decision = await rig.AcquireAsync();

        Assert.True(decision.Allowed);
        Assert.Equal(3, rig.Source.GrantCalls);
        Assert.Equal(1, rig.Source.Count(LeaseRig.Key));
    }

    [Fact]
    public async Task AcquireAsync_PrefetchFails_KeepsServingTheLeaseAndAsksAgainWhenItIsEmpty()
    {
        using var rig = new LeaseRig(limit: 1_000_000, maxLeaseSize: 100);
        long admitted = rig.Warm();
        var calls = rig.Source.GrantCalls;
        rig.Source.FailGrants = true;

        // Down to the low watermark: the prefetch starts and fails, but the lease still has permits to hand out.
        while (rig.Source.GrantCalls == calls)
        {
            Assert.True(rig.Acquire().Allowed);
            admitted++;
        }

        while (rig.HeldPermits() > 0)
        {
            Assert.True(rig.Acquire().Allowed);
            admitted++;
        }

        Assert.Equal(calls + 1, rig.Source.GrantCalls); // one failed prefetch, not one per request after it

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await rig.AcquireAsync());
        Assert.Equal(calls + 2, rig.Source.GrantCalls);

        rig.Source.FailGrants = false;
        Assert.True(rig.Acquire().Allowed);
        Assert.Equal(calls + 3, rig.Source.GrantCalls);
        Assert.Equal(admitted + 1 + rig.HeldPermits(), rig.Source.Count(LeaseRig.Key));
    }

    [Fact]
    public async Task AcquireAsync_RequestCancelledWhileWaitingForARefill_DoesNotAbandonTheRefill()
    {
        using var rig = new LeaseRig();
        rig.Acquire();
        rig.Source.BlockGrants();
        using var cancel = new CancellationTokenSource();
        var cancelled = rig.Store.AcquireAsync(new RateLimitRequest(LeaseRig.Key, rig.Rules, 1), cancel.Token).AsTask();
        var other = rig.AcquireAsync().AsTask();

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        rig.Source.OpenGrants();
        var decision = await other.WaitAsync(TimeSpan.FromSeconds(30));

        // The refill went through for the request still waiting, and the cancelled one took nothing.
        Assert.True(decision.Allowed);
        Assert.Equal(2, rig.Source.GrantCalls);
        Assert.Equal(2 + rig.HeldPermits(), rig.Source.Count(LeaseRig.Key));
    }
}
