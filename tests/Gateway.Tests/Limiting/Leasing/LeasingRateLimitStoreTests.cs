using Gateway.Limiting.Storage;
using static Gateway.Tests.Support.Time;

namespace Gateway.Tests.Limiting.Leasing;

/// <summary>
/// What the lease layer asks the store for, and how it answers from what it holds. Throughout: the store's count is
/// what was admitted plus what this instance still holds, so no permit is lost or handed out twice.
/// </summary>
public sealed class LeasingRateLimitStoreTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void AcquireAsync_ColdKey_FirstGrantAsksForExactlyTheCost(long cost)
    {
        using var rig = new LeaseRig();

        var decision = rig.Acquire(cost);

        // A key this instance has never seen has no rate to size a batch from: it must not park quota it may never use.
        var first = rig.Source.GrantRequests[0];
        Assert.Equal(LeaseRig.Key, first.PartitionKey);
        Assert.Same(rig.Rules, first.Rules);
        Assert.Equal(cost, first.Need);
        Assert.Equal(cost, first.Want);
        Assert.False(first.StillHolding);
        Assert.Equal(rig.HoldMicros, first.HoldForMicroseconds);
        Assert.Equal(cost, rig.Source.Grants[0].Granted);
        Assert.True(decision.Allowed);
        Assert.Equal(1_000 - cost, decision.Results[0].Remaining);
    }

    /// <summary>
    /// One request of a cold key must cost the store that request's permits and nothing more. The lease of a cold key
    /// is exactly its cost, and one request that empties it is not traffic worth fetching a batch early for.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    public void AcquireAsync_ColdKeyOneRequestOfAnyCost_TakesOnlyThatCostFromTheStore(long cost)
    {
        using var rig = new LeaseRig();

        Assert.True(rig.Acquire(cost).Allowed);

        Assert.Equal(1, rig.Source.GrantCalls);
        Assert.Equal(0, rig.HeldPermits());
        Assert.Equal(cost, rig.Source.Count(LeaseRig.Key));
    }

    [Fact]
    public void AcquireAsync_LiveLease_ServesWithoutCallingTheSourceAndReportsStoreRemainingPlusLeaseLeft()
    {
        const long limit = 1_000_000;
        using var rig = new LeaseRig(limit: limit, maxLeaseSize: 100);
        long admitted = rig.Warm();
        var calls = rig.Source.GrantCalls;
        var grant = rig.Source.Grants[^1];
        var held = rig.HeldPermits();
        var lowWatermark = grant.Granted / 4;
        Assert.True(held > lowWatermark + 10, $"Warm-up left {held} permits, too few to test serving from the lease.");

        // Stay above the low watermark: no refill, no prefetch.
        for (var left = held - 1; left > lowWatermark; left--)
        {
            var decision = rig.Acquire();
            admitted++;

            Assert.True(decision.Allowed);
            Assert.Equal(grant.Results[0].Remaining + left, decision.Results[0].Remaining);
            Assert.Equal(limit - admitted, decision.Results[0].Remaining);
            Assert.Equal(left, rig.HeldPermits());
        }

        Assert.Equal(calls, rig.Source.GrantCalls);
        Assert.Equal(admitted + rig.HeldPermits(), rig.Source.Count(LeaseRig.Key));
        Assert.Empty(rig.Source.ExactRequests);
    }

    [Fact]
    public void AcquireAsync_LiveLease_ReportsResetCountedDownOnTheLocalClock()
    {
        using var rig = new LeaseRig();
        rig.AcquireMany(2);
        Assert.True(rig.HeldPermits() > 1);

        rig.Clock.AdvanceMicros(250 * MicrosPerMillisecond);
        var decision = rig.Acquire();

        Assert.Equal(2, rig.Source.GrantCalls);
        Assert.Equal((59 * MicrosPerSecond) - (250 * MicrosPerMillisecond), decision.Results[0].ResetAfter);
    }

    /// <summary>
    /// A lease covers about <c>Coverage</c> (100ms) of the key's local traffic: at one request per 10ms that is about
    /// 10 permits, at one per 50ms about 2. The estimate rounds up and counts from the grant, so it may run over,
    /// never under, and never past MaxLeaseSize.
    /// </summary>
    [Theory]
    [InlineData(10, 10)]
    [InlineData(50, 2)]
    public void AcquireAsync_SteadyLocalRate_SizesLeasesToCoverThatRate(int intervalMs, long perCoverage)
    {
        using var rig = new LeaseRig(limit: 1_000_000, maxLeaseSize: 100);

        for (var i = 0; i < 100; i++)
        {
            Assert.True(rig.Acquire().Allowed);
            rig.Clock.AdvanceMicros(intervalMs * MicrosPerMillisecond);
        }

        var wants = rig.Source.GrantRequests.Select(r => r.Want).ToList();
        Assert.Equal(1, wants[0]);
        Assert.True(wants.Count >= 5, $"Expected a lease refilled many times, saw {wants.Count} grants.");
        // After the first few leases the estimate has settled on the rate.
        Assert.All(wants.Skip(3), w => Assert.InRange(w, perCoverage, (2 * perCoverage) + 1));
        Assert.All(wants, w => Assert.InRange(w, 1, rig.Settings.MaxLeaseSize));
    }

    [Fact]
    public void AcquireAsync_ManyRequestsInNoTime_GrowsTheLeaseUpToMaxLeaseSizeAndNoFurther()
    {
        using var rig = new LeaseRig(limit: 1_000_000, maxLeaseSize: 50);

        Assert.Equal(500, rig.AcquireMany(500));

        var wants = rig.Source.GrantRequests.Select(r => r.Want).ToList();
        Assert.Equal(1, wants[0]);
        Assert.True(wants[1] > 1);
        Assert.Equal(50, wants.Max());
        Assert.Equal(50, wants[^1]);
        Assert.Equal(500 + rig.HeldPermits(), rig.Source.Count(LeaseRig.Key));
    }

    [Fact]
    public void AcquireAsync_KeyNearItsLimit_GetsOnlyWhatTheStoreSpares()
    {
        // 6 left after the first request, one holder: the store spares floor(6 / 2) = 3 of the 4 the lease asks for.
        using var rig = new LeaseRig(limit: 7, maxLeaseSize: 100);
        rig.Acquire();

        rig.Acquire();

        Assert.Equal(4, rig.Source.GrantRequests[1].Want);
        Assert.Equal(3, rig.Source.Grants[1].Granted);
        Assert.Equal(2, rig.HeldPermits());
        Assert.Equal(4, rig.Source.Count(LeaseRig.Key));
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    [InlineData(false, true)]
    public void AcquireAsync_PeekOrExact_GoesToTheExactStoreOnly(bool consume, bool exact)
    {
        using var rig = new LeaseRig();
        var request = new RateLimitRequest(LeaseRig.Key, rig.Rules, 1, consume, exact);

        var decision = rig.Acquire(request);

        Assert.True(decision.Allowed);
        Assert.Equal([request], rig.Source.ExactRequests);
        Assert.Equal(0, rig.Source.GrantCalls);
        Assert.Equal(0, rig.Store.PartitionCount);
        Assert.Equal(consume ? 1 : 0, rig.Source.Count(LeaseRig.Key));
    }

    [Fact]
    public void AcquireAsync_ExactRequestWhileALeaseIsLive_LeavesTheLeaseAlone()
    {
        using var rig = new LeaseRig();
        rig.AcquireMany(2);
        var held = rig.HeldPermits();
        Assert.True(held > 0);

        var decision = rig.Acquire(new RateLimitRequest(LeaseRig.Key, rig.Rules, 1, Exact: true));

        Assert.True(decision.Allowed);
        Assert.Equal(held, rig.HeldPermits());
        Assert.Equal(2, rig.Source.GrantCalls);
        Assert.Single(rig.Source.ExactRequests);
        // The exact admission and the lease count against the one counter.
        Assert.Equal(2 + 1 + held, rig.Source.Count(LeaseRig.Key));
    }
}
