using Gateway.Limiting.Resilience;
using Gateway.Limiting.Storage;
using static Gateway.Tests.Support.Time;

namespace Gateway.Tests.Limiting.Resilience;

/// <summary>Redis's time as estimated between answers: the last answer's time plus local elapsed time.</summary>
public sealed class StoreClockTests
{
    [Fact]
    public void NowMicroseconds_BeforeAnyAnswer_IsTheLocalClock()
    {
        var local = ClockAt(T0);
        var clock = new StoreClock(local);

        Assert.Equal(T0, clock.NowMicroseconds());
        Assert.Equal(T0, UnixTime.NowMicroseconds(clock));
    }

    [Fact]
    public void NowMicroseconds_AfterAnAnswer_FollowsRedisByLocalElapsedTime()
    {
        // The gateway's clock is 90 s behind Redis's: the estimate follows Redis's.
        var local = ClockAt(T0 - (90 * MicrosPerSecond));
        var clock = new StoreClock(local);

        clock.Observe(T0);
        local.AdvanceMicros(1_500_000);

        Assert.Equal(T0 + 1_500_000, clock.NowMicroseconds());
    }

    [Fact]
    public void NowMicroseconds_FirstAnswerBehindTheLocalClock_StepsBackOnce_ThenNeverAgain()
    {
        // A gateway 90 s ahead, read before Redis answered (fallback at start-up): the first answer puts it right
        // rather than freezing the estimate for 90 s.
        var local = ClockAt(T0 + (90 * MicrosPerSecond));
        var clock = new StoreClock(local);
        Assert.Equal(T0 + (90 * MicrosPerSecond), clock.NowMicroseconds());

        clock.Observe(T0);
        Assert.Equal(T0, clock.NowMicroseconds());

        // A later answer a little behind the estimate already read (its travel time) does not move time back.
        local.AdvanceMicros(1_000_000);
        Assert.Equal(T0 + 1_000_000, clock.NowMicroseconds());
        clock.Observe(T0 + 999_000);
        Assert.Equal(T0 + 1_000_000, clock.NowMicroseconds());
    }
}
