using Gateway.Limiting.Storage;

namespace Gateway.Tests.Limiting.Leasing;

/// <summary>The hot path: a request served from a live lease allocates nothing.</summary>
public sealed class LeasingRateLimitStoreAllocationTests
{
    private const int Measured = 1_000;

    [Fact]
    public void AcquireAsync_ServedFromALiveLease_AllocatesNothing()
    {
        using var rig = new LeaseRig(limit: 100_000_000, window: TimeSpan.FromHours(1), maxLeaseSize: 20_000);
        rig.Warm();
        var calls = rig.Source.GrantCalls;
        // The warm-up and the measured requests must stay above the low watermark (a quarter of the last grant), so no
        // prefetch (which allocates a task) can fall inside the measurement.
        Assert.True(rig.HeldPermits() - (2 * Measured) > rig.Source.Grants[^1].Granted / 4);
        var request = new RateLimitRequest(LeaseRig.Key, rig.Rules, 1);
        Assert.Equal(0, AcquireMany(rig.Store, request, Measured, out _)); // warm-up: JIT, tiering, statics
        var held = rig.HeldPermits();

        var refused = AcquireMany(rig.Store, request, Measured, out var allocated);

        Assert.Equal(0, refused);
        Assert.Equal(0, allocated);
        Assert.Equal(calls, rig.Source.GrantCalls);
        Assert.Equal(held - Measured, rig.HeldPermits());
    }

    /// <summary>Acquires synchronously <paramref name="count"/> times; returns how many were not admitted at once.</summary>
    private static int AcquireMany(IRateLimitStore store, RateLimitRequest request, int count, out long allocatedBytes)
    {
        var notAdmitted = 0;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < count; i++)
        {
            var pending = store.AcquireAsync(request, CancellationToken.None);
            if (!pending.IsCompletedSuccessfully || !pending.Result.Allowed)
            {
                notAdmitted++;
            }
        }

        allocatedBytes = GC.GetAllocatedBytesForCurrentThread() - before;
        return notAdmitted;
    }
}
