namespace Gateway.Limiting.Storage;

/// <summary>Microseconds since the Unix epoch: the time unit of every store, matching Redis's <c>TIME</c>.</summary>
public static class UnixTime
{
    public static long NowMicroseconds(TimeProvider timeProvider) =>
        (timeProvider.GetUtcNow().UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond;
}
