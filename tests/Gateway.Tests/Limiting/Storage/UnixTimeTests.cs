using Gateway.Limiting.Storage;
using Gateway.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Limiting.Storage;

public sealed class UnixTimeTests
{
    [Fact]
    public void NowMicroseconds_AtTheEpoch_IsZero()
    {
        Assert.Equal(0, UnixTime.NowMicroseconds(new FakeTimeProvider(DateTimeOffset.UnixEpoch)));
    }

    [Fact]
    public void NowMicroseconds_KnownInstant_IsMicrosecondsSinceTheEpoch()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2023, 12, 9, 0, 0, 1, TimeSpan.Zero).AddTicks(2_345_670));

        Assert.Equal(Time.T0 + 1_234_567, UnixTime.NowMicroseconds(clock));
    }

    [Fact]
    public void NowMicroseconds_OffsetTimeZone_UsesUtc()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2023, 12, 9, 2, 0, 0, TimeSpan.FromHours(2)));

        Assert.Equal(Time.T0, UnixTime.NowMicroseconds(clock));
    }

    [Fact]
    public void NowMicroseconds_AdvancedClock_MovesByTheSameAmount()
    {
        var clock = Time.ClockAt(Time.T0);

        clock.Advance(TimeSpan.FromMilliseconds(1.5));

        Assert.Equal(Time.T0 + 1_500, UnixTime.NowMicroseconds(clock));
    }
}
