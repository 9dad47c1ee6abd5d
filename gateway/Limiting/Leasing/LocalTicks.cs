namespace Gateway.Limiting.Leasing;

/// <summary>
/// Converts between microseconds and the local monotonic timestamp (<see cref="TimeProvider.GetTimestamp"/>). Leases
/// measure durations on it, never wall-clock times, so a gateway clock that is set wrong or steps changes nothing.
/// </summary>
internal static class LocalTicks
{
    public static long FromMicroseconds(long micros, TimeProvider time) =>
        micros >= long.MaxValue / 2 ? long.MaxValue / 2 : (long)(micros * (time.TimestampFrequency / 1e6));

    public static long MicrosecondsUntil(long deadline, long now, TimeProvider time) =>
        deadline <= now ? 0 : (long)Math.Ceiling((deadline - now) * (1e6 / time.TimestampFrequency));
}
