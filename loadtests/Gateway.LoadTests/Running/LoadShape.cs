namespace Gateway.LoadTests.Running;

/// <summary>
/// A load shape, bounded in time and count. Open loop: a rate that goes linearly from <see cref="Rate"/> to
/// <see cref="EndRate"/> over the duration (equal for a fixed rate); latency is measured from each request's intended
/// start, so a server that stalls cannot hide its tail (no coordinated omission). Closed loop: <see cref="Concurrency"/>
/// clients at full speed (maximum throughput; latency from the actual send).
/// </summary>
public sealed record LoadShape(LoadMode Mode, double Rate, double EndRate, int Concurrency, TimeSpan Duration, long MaxRequests)
{
    public static LoadShape OpenLoop(double rate, TimeSpan duration) => Ramp(rate, rate, duration);

    public static LoadShape Ramp(double fromRate, double toRate, TimeSpan duration)
    {
        if (fromRate < 0 || toRate < 0 || fromRate + toRate <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(fromRate), "An open-loop rate must be positive.");
        }

        return new(LoadMode.Open, fromRate, toRate, 0, duration, (long)Math.Ceiling((fromRate + toRate) / 2 * duration.TotalSeconds));
    }

    public static LoadShape ClosedLoop(int concurrency, TimeSpan duration, long maxRequests = long.MaxValue) =>
        concurrency < 1
            ? throw new ArgumentOutOfRangeException(nameof(concurrency), "A closed loop needs at least one client.")
            : new(LoadMode.Closed, 0, 0, concurrency, duration, maxRequests);

    /// <summary>
    /// When request <paramref name="n"/> (from 0) is due: the time t at which the rate's integral reaches n, i.e. the
    /// root of r0·t + (r1 − r0)·t²/(2D) = n.
    /// </summary>
    public TimeSpan IntendedStart(long n)
    {
        var d = Duration.TotalSeconds;
        var slope = (EndRate - Rate) / d;
        double seconds;
        if (Math.Abs(slope) < 1e-9)
        {
            seconds = n / Rate;
        }
        else
        {
            var discriminant = (Rate * Rate) + (2 * slope * n);
            seconds = discriminant <= 0 ? d : (-Rate + Math.Sqrt(discriminant)) / slope;
        }

        return TimeSpan.FromSeconds(seconds);
    }

    public string Describe() => Mode switch
    {
        LoadMode.Closed => $"closed loop, {Concurrency} clients, {Duration.TotalSeconds:0.#} s",
        _ when Rate == EndRate => $"open loop, {Rate:0.#} requests/s, {Duration.TotalSeconds:0.#} s",
        _ => $"open loop, ramp {Rate:0.#} to {EndRate:0.#} requests/s, {Duration.TotalSeconds:0.#} s",
    };
}
