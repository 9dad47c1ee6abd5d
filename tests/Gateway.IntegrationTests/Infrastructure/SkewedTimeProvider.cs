namespace Gateway.IntegrationTests.Infrastructure;

/// <summary>
/// The real clock, with the wall-clock time off by a fixed amount, as on a badly synchronised host. Timestamps and
/// timers run in real time: leases measure real durations, and the Redis store's windows move on Redis's clock.
/// </summary>
public sealed class SkewedTimeProvider : TimeProvider
{
    private readonly TimeSpan _skew;

    public SkewedTimeProvider(TimeSpan skew) => _skew = skew;

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + _skew;
}
