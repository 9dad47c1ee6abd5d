using static Gateway.Tests.Support.Time;

namespace Gateway.Tests.Limiting.Leasing;

/// <summary>
/// How long a lease lives and where its unused permits go. The invariant throughout: the store's count is what was
/// admitted plus what this instance still holds, so no permit is lost or handed out twice.
/// </summary>
public sealed class LeasingRateLimitStoreLifetimeTests
{
    /// <summary>Only guards against a hang; nothing here depends on how long anything takes.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    [Fact]
    public void Sweep_LeaseExpired_ReleasesUnusedPermitsAndTheNextRequestGetsANewGrant()
    {
        using var rig = new LeaseRig(limit: 1_000, maxLeaseSize: 100, duration: TimeSpan.FromSeconds(1));
        Assert.Equal(11, rig.AcquireMany(11));
        var held = rig.HeldPermits();
        var calls = rig.Source.GrantCalls;
        Assert.True(held > 0);

        rig.Clock.AdvanceMicros(MicrosPerSecond - 1);
        rig.Store.Sweep();
        Assert.Empty(rig.Source.Releases);
        Assert.Equal(held, rig.HeldPermits());

        rig.Clock.AdvanceMicros(1);
        rig.Store.Sweep();

        var release = Assert.Single(rig.Source.Releases);
        Assert.Equal(LeaseRig.Key, release.PartitionKey);
        Assert.Same(rig.Rules, release.Rules);
        Assert.Equal(held, release.Count);
        Assert.True(release.LastLease);
        Assert.Equal(LeaseRig.Start, release.GrantedAtStoreTime);
        Assert.Equal(0, rig.HeldPermits());
        Assert.Equal(11, rig.Source.Count(LeaseRig.Key));

        var next = rig.Acquire();

        Assert.True(next.Allowed);
        Assert.Equal(calls + 1, rig.Source.GrantCalls);
        Assert.False(rig.Source.GrantRequests[^1].StillHolding);
        Assert.Equal(1_000 - 12, next.Results[0].Remaining);
        Assert.Equal(12 + rig.HeldPermits(), rig.Source.Count(LeaseRig.Key));
    }

    [Fact]
    public void AcquireAsync_LeaseExpiredBeforeAnySweep_RefillsAndReleasesTheOldPermits()
    {
        using var rig = new LeaseRig(limit: 1_000, maxLeaseSize: 100, duration: TimeSpan.FromSeconds(1));
        Assert.Equal(11, rig.AcquireMany(11));
        var held = rig.HeldPermits();
        var calls = rig.Source.GrantCalls;

        rig.Clock.AdvanceMicros(MicrosPerSecond);
        var next = rig.Acquire();

        Assert.True(next.Allowed);
        Assert.Equal(calls + 1, rig.Source.GrantCalls);
        var release = Assert.Single(rig.Source.Releases);
        Assert.Equal(held, release.Count);
        // The instance holds the new lease of the partition: its mark in the store must stay.
        Assert.False(release.LastLease);
        Assert.Equal(12 + rig.HeldPermits(), rig.Source.Count(LeaseRig.Key));
    }

    [Fact]
    public void AcquireAsync_AtTheWindowEnd_AsksTheSourceAndGivesNothingBackToTheClosedWindow()
    {
        // 400ms into a one-second window, with leases allowed to live longer than that: the window ends them.
        using var rig = new LeaseRig(
            limit: 1_000, window: TimeSpan.FromSeconds(1), maxLeaseSize: 100, duration: TimeSpan.FromSeconds(10), start: T0 + (400 * MicrosPerMillisecond));
        rig.AcquireMany(2);
        Assert.True(rig.HeldPermits() > 1);

        rig.Clock.AdvanceMicros((600 * MicrosPerMillisecond) - 1);
        Assert.True(rig.Acquire().Allowed);
        Assert.Equal(2, rig.Source.GrantCalls);

        rig.Clock.AdvanceMicros(1);
        var next = rig.Acquire();

        Assert.Equal(3, rig.Source.GrantCalls);
        Assert.True(next.Allowed);
        Assert.Equal(MicrosPerSecond, next.Results[0].ResetAfter);
        Assert.Equal(1_000 - 1, next.Results[0].Remaining);
        // The old window's count no longer matters: returning to it would be a wasted call.
        Assert.Empty(rig.Source.Releases);
        Assert.Equal(1 + rig.HeldPermits(), rig.Source.Count(LeaseRig.Key));
    }

    [Fact]
    public void AcquireAsync_RuleSetReplaced_StartsColdAndGivesTheOldLeaseBack()
    {
        using var rig = new LeaseRig(limit: 1_000, maxLeaseSize: 100);
        rig.AcquireMany(2);
        var held = rig.HeldPermits();
        Assert.True(held > 0);

        // Same rules, new object: what a configuration reload hands the middleware.
        var reloaded = rig.Source.NewRuleSet();
        var decision = rig.Acquire(rules: reloaded);

        Assert.True(decision.Allowed);
        Assert.Same(reloaded, decision.Rules);
        Assert.Equal(3, rig.Source.GrantCalls);
        var grant = rig.Source.GrantRequests[2];
        Assert.Same(reloaded, grant.Rules);
        Assert.Equal(1, grant.Need);
        Assert.Equal(1, grant.Want);
        Assert.False(grant.StillHolding);
        var release = Assert.Single(rig.Source.Releases);
        Assert.Same(rig.Rules, release.Rules);
        Assert.Equal(held, release.Count);
        Assert.False(release.LastLease);
        Assert.Equal(3 + rig.HeldPermits(), rig.Source.Count(LeaseRig.Key));
    }

    [Fact]
    public void AcquireAsync_PrefetchUnderTheSameRules_CarriesUnusedPermitsIntoTheNewLease()
    {
        using var rig = new LeaseRig(limit: 1_000_000, maxLeaseSize: 100);
        long admitted = rig.Warm();
        var calls = rig.Source.GrantCalls;
        long heldBefore;

        // Down to the low watermark: the take that reaches it fetches the next batch before the lease runs dry.
        do
        {
            heldBefore = rig.HeldPermits();
            Assert.True(rig.Acquire().Allowed);
            admitted++;
        }
        while (rig.Source.GrantCalls == calls);

        Assert.Equal(calls + 1, rig.Source.GrantCalls);
        var prefetch = rig.Source.GrantRequests[^1];
        Assert.Equal(1, prefetch.Need);
        Assert.True(prefetch.StillHolding);
        Assert.Empty(rig.Source.Releases);
        Assert.Equal(heldBefore - 1 + rig.Source.Grants[^1].Granted, rig.HeldPermits());
        Assert.Equal(admitted + rig.HeldPermits(), rig.Source.Count(LeaseRig.Key));
    }

    [Fact]
    public async Task ReturnAllAsync_SeveralLeases_GivesBackEveryUnusedPermit()
    {
        using var rig = new LeaseRig(limit: 1_000, maxLeaseSize: 100);
        var admitted = new Dictionary<string, int>
        {
            ["p|a"] = rig.AcquireMany(2, key: "p|a"),
            ["p|b"] = rig.AcquireMany(12, key: "p|b"),
            ["p|c"] = rig.AcquireMany(1, key: "p|c"),
        };
        var held = admitted.Keys.ToDictionary(k => k, k => rig.HeldPermits(k));
        Assert.True(held["p|a"] > 0 && held["p|b"] > 0);
        Assert.Equal(0, held["p|c"]);

        await rig.Store.ReturnAllAsync(CancellationToken.None);

        var releases = rig.Source.Releases;
        Assert.Equal(held.Values.Sum(), releases.Sum(r => r.Count));
        Assert.Equal(new[] { "p|a", "p|b" }, releases.Select(r => r.PartitionKey).Order(StringComparer.Ordinal));
        Assert.All(releases, r => Assert.Equal(held[r.PartitionKey], r.Count));
        Assert.All(releases, r => Assert.True(r.LastLease));
        foreach (var (key, count) in admitted)
        {
            Assert.Equal(0, rig.HeldPermits(key));
            Assert.Equal(count, rig.Source.Count(key));
        }
    }

    [Fact]
    public async Task ReturnAllAsync_ThenARequest_IsDecidedExactlyWithoutANewLease()
    {
        using var rig = new LeaseRig();
        rig.AcquireMany(2);
        await rig.Store.ReturnAllAsync(CancellationToken.None);

        Assert.True(rig.Acquire().Allowed);

        // A stopping gateway is giving its permits back; it takes no new ones.
        Assert.Equal(2, rig.Source.GrantCalls);
        Assert.Single(rig.Source.ExactRequests);
        Assert.Equal(0, rig.HeldPermits());
        Assert.Equal(3, rig.Source.Count(LeaseRig.Key));
    }

    /// <summary>
    /// ReturnAllAsync promises that from then on any request still in flight is decided exactly, so no new lease is
    /// taken. Here a request was already waiting for a refill when the gateway began to stop, and that refill leaves it
    /// short. It must be decided exactly, not by a new lease that nothing would give back.
    /// </summary>
    [Fact]
    public async Task ReturnAllAsync_RequestStillWaitingForARefill_TakesNoNewLease()
    {
        using var rig = new LeaseRig();
        rig.Source.BlockGrants();
        // Both wait for one refill of one permit (the key is cold): the cheaper request gets it; the dearer one does not.
        var one = rig.AcquireAsync(cost: 1).AsTask();
        var two = rig.AcquireAsync(cost: 2).AsTask();
        Assert.Equal(1, rig.Source.GrantCalls);

        var returning = rig.Store.ReturnAllAsync(CancellationToken.None);
        Assert.True(rig.Source.OpenNextGrant());
        // The dearer request is either decided now, or asks the store again.
        await Task.WhenAny(two, rig.Source.GrantCallsReached(2)).WaitAsync(HangGuard);
        rig.Source.OpenGrants();
        await returning.WaitAsync(HangGuard);
        var decisions = await Task.WhenAll(one, two).WaitAsync(HangGuard);

        Assert.All(decisions, d => Assert.True(d.Allowed));
        Assert.Equal(1, rig.Source.GrantCalls);
        Assert.Equal(0, rig.HeldPermits());
        Assert.Equal(1 + 2, rig.Source.Count(LeaseRig.Key));
    }

    [Fact]
    public void Sweep_IdlePartition_IsRemovedTwiceTheHoldTimeAfterItsLastUse()
    {
        using var rig = new LeaseRig();
        rig.AcquireMany(2);
        var idleAfter = 2 * rig.HoldMicros;

        rig.Clock.AdvanceMicros(MicrosPerSecond);
        rig.Store.Sweep();
        Assert.Single(rig.Source.Releases);
        Assert.Equal(1, rig.Store.PartitionCount); // the lease went back; the key is not idle yet

        rig.Clock.AdvanceMicros(idleAfter - MicrosPerSecond - 1);
        rig.Store.Sweep();
        Assert.Equal(1, rig.Store.PartitionCount);

        rig.Clock.AdvanceMicros(1);
        rig.Store.Sweep();
        Assert.Equal(0, rig.Store.PartitionCount);

        // The key comes back cold.
        Assert.True(rig.Acquire().Allowed);
        Assert.Equal(1, rig.Store.PartitionCount);
        Assert.Equal(1, rig.Source.GrantRequests[^1].Want);
    }

    [Fact]
    public void Sweep_IdlePartitionWithALiveRefusal_KeepsItUntilTheRefusalEnds()
    {
        using var rig = new LeaseRig(limit: 1);
        Assert.True(rig.Acquire().Allowed);
        Assert.False(rig.Acquire().Allowed);

        rig.Clock.AdvanceMicros(10 * MicrosPerSecond);
        rig.Store.Sweep();
        Assert.Equal(1, rig.Store.PartitionCount);
        Assert.False(rig.Acquire().Allowed); // still refused locally: dropping the key would have forgotten that
        Assert.Equal(2, rig.Source.GrantCalls);

        rig.Clock.AdvanceMicros(49 * MicrosPerSecond); // the window (and the refusal) ended
        rig.Store.Sweep();
        Assert.Equal(0, rig.Store.PartitionCount);
    }

    [Fact]
    public void SweepTimer_LeaseExpired_ReleasesWithoutAnExplicitSweep()
    {
        using var rig = new LeaseRig(duration: TimeSpan.FromSeconds(1), sweepOnTimer: true);
        rig.AcquireMany(2);
        var held = rig.HeldPermits();

        rig.Clock.AdvanceMicros(MicrosPerSecond - 1);
        Assert.Empty(rig.Source.Releases);
        rig.Clock.AdvanceMicros(rig.Settings.SweepInterval.Ticks / TimeSpan.TicksPerMicrosecond);

        var release = Assert.Single(rig.Source.Releases);
        Assert.Equal(held, release.Count);
        Assert.Equal(0, rig.HeldPermits());
    }
}
