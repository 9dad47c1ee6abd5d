using static Gateway.Tests.Support.Time;

namespace Gateway.Tests.Limiting.Leasing;

/// <summary>A key the store refused is answered locally, for no longer than it must be.</summary>
public sealed class LeasingRateLimitStoreDenialTests
{
    /// <summary>10s into a one-minute window: it ends 50s later.</summary>
    private const long TenSecondsIn = T0 + (10 * MicrosPerSecond);

    [Fact]
    public void AcquireAsync_StoreRefused_RefusesLocallyUntilTheWindowEnds()
    {
        using var rig = new LeaseRig(limit: 3, start: TenSecondsIn);
        Assert.Equal(3, rig.AcquireMany(3));
        Assert.Equal(3, rig.Source.GrantCalls);

        var refused = rig.Acquire();

        Assert.False(refused.Allowed);
        Assert.Equal(4, rig.Source.GrantCalls);
        Assert.Equal(50 * MicrosPerSecond, refused.RetryAfterMicroseconds);
        Assert.Equal(0, refused.Results[0].Remaining);

        // The refusal stands without asking the store again, however many requests come.
        for (var i = 0; i < 10; i++)
        {
            var again = rig.Acquire();
            Assert.False(again.Allowed);
            Assert.Equal(50 * MicrosPerSecond, again.RetryAfterMicroseconds);
        }

        Assert.Equal(4, rig.Source.GrantCalls);
        Assert.Empty(rig.Source.ExactRequests);
    }

    [Fact]
    public void AcquireAsync_LocalRefusal_RetryAfterShrinksAsTheClockMovesAndTheStoreIsAskedAtTheEnd()
    {
        using var rig = new LeaseRig(limit: 3, start: TenSecondsIn);
        Assert.Equal(3, rig.AcquireMany(3));
        Assert.False(rig.Acquire().Allowed);

        rig.Clock.AdvanceMicros(20 * MicrosPerSecond);
        var later = rig.Acquire();
        rig.Clock.AdvanceMicros((30 * MicrosPerSecond) - 1);
        var last = rig.Acquire();

        Assert.False(later.Allowed);
        Assert.Equal(30 * MicrosPerSecond, later.RetryAfterMicroseconds);
        Assert.False(last.Allowed);
        Assert.Equal(1, last.RetryAfterMicroseconds);
        Assert.Equal(4, rig.Source.GrantCalls);

        // The window ended: the refusal is over and the store, with a fresh window, admits again.
        rig.Clock.AdvanceMicros(1);
        var next = rig.Acquire();

        Assert.Equal(5, rig.Source.GrantCalls);
        Assert.True(next.Allowed);
        Assert.Equal(2, next.Results[0].Remaining);
    }

    /// <summary>
    /// Other instances that still hold leases may give permits back before the window ends: the refusal must stand
    /// only until then, so this instance sees the returned permits.
    /// </summary>
    [Fact]
    public void AcquireAsync_OthersHoldLeases_AsksTheStoreAgainAfterOthersHoldFor()
    {
        using var rig = new LeaseRig(limit: 10, start: TenSecondsIn);
        rig.Source.ConsumeAsOtherInstance(LeaseRig.Key, 10);
        rig.Source.OthersHoldFor = 2 * MicrosPerSecond;

        var refused = rig.Acquire();
        rig.Clock.AdvanceMicros(MicrosPerSecond);
        var meanwhile = rig.Acquire();
        rig.Source.GiveBackAsOtherInstance(LeaseRig.Key, 4);
        rig.Clock.AdvanceMicros(MicrosPerSecond - 1);
        var justBefore = rig.Acquire();

        Assert.False(refused.Allowed);
        // The rule itself admits only when the window ends; that is what the client is told.
        Assert.Equal(50 * MicrosPerSecond, refused.RetryAfterMicroseconds);
        Assert.False(meanwhile.Allowed);
        Assert.False(justBefore.Allowed);
        Assert.Equal(1, rig.Source.GrantCalls);

        rig.Clock.AdvanceMicros(1);
        var after = rig.Acquire();

        Assert.Equal(2, rig.Source.GrantCalls);
        Assert.True(after.Allowed);
        Assert.Equal(10 - 4 + 1, rig.Source.Count(LeaseRig.Key));
    }

    [Fact]
    public void AcquireAsync_RefusedForCostFive_StillAsksTheStoreForCostOne()
    {
        using var rig = new LeaseRig(limit: 10, start: TenSecondsIn);
        rig.Source.ConsumeAsOtherInstance(LeaseRig.Key, 7);

        var five = rig.Acquire(cost: 5);
        var fiveAgain = rig.Acquire(cost: 5);
        var six = rig.Acquire(cost: 6);
        Assert.Equal(1, rig.Source.GrantCalls);

        var one = rig.Acquire(cost: 1);

        Assert.False(five.Allowed);
        Assert.False(fiveAgain.Allowed);
        Assert.False(six.Allowed); // dearer than what was refused: refused too, locally
        Assert.True(one.Allowed);
        Assert.Equal(2, rig.Source.GrantCalls);
        Assert.Equal(1, rig.Source.GrantRequests[1].Need);
        Assert.Equal(8, rig.Source.Count(LeaseRig.Key));
    }

    [Fact]
    public void AcquireAsync_RefusedUnderOldRules_AsksTheStoreUnderNewRules()
    {
        using var rig = new LeaseRig(limit: 1, start: TenSecondsIn);
        Assert.True(rig.Acquire().Allowed);
        Assert.False(rig.Acquire().Allowed);
        Assert.Equal(2, rig.Source.GrantCalls);

        // A reload hands out a new rule set: a refusal made under the old one says nothing about it.
        var reloaded = rig.Source.NewRuleSet();
        var decision = rig.Acquire(rules: reloaded);

        Assert.Equal(3, rig.Source.GrantCalls);
        Assert.Same(reloaded, rig.Source.GrantRequests[2].Rules);
        Assert.False(decision.Allowed);
        Assert.Same(reloaded, decision.Rules);
    }
}
