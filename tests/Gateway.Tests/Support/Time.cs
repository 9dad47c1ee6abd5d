using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Support;

/// <summary>Fixed instants and fake clocks for the tests. Every time is microseconds since the Unix epoch.</summary>
internal static class Time
{
    public const long MicrosPerMillisecond = 1_000;
    public const long MicrosPerSecond = 1_000_000;
    public const long MicrosPerMinute = 60 * MicrosPerSecond;
    public const long MicrosPerHour = 60 * MicrosPerMinute;
    public const long MicrosPerDay = 24 * MicrosPerHour;

    /// <summary>2023-12-09T00:00:00Z: the start of a UTC day, so every epoch-aligned window (1s .. 1d) starts here.</summary>
    public const long T0 = 19_700 * MicrosPerDay;

    /// <summary>A fake clock that stands at <paramref name="micros"/> and moves only when told to.</summary>
    public static FakeTimeProvider ClockAt(long micros = T0) => new(ToDateTimeOffset(micros));

    public static DateTimeOffset ToDateTimeOffset(long micros) => DateTimeOffset.UnixEpoch.AddTicks(micros * TimeSpan.TicksPerMicrosecond);

    public static void AdvanceMicros(this FakeTimeProvider clock, long micros) => clock.Advance(TimeSpan.FromTicks(micros * TimeSpan.TicksPerMicrosecond));
}
