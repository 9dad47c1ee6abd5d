namespace Gateway.LoadTests;

/// <summary>How load is applied.</summary>
public enum LoadMode
{
    /// <summary>Requests start on a schedule (a fixed rate), whether or not earlier ones have finished.</summary>
    Open,

    /// <summary>A fixed number of clients, each sending its next request when the previous one finished.</summary>
    Closed,
}

/// <summary>
/// A load shape, bounded in time and count. Open loop: <see cref="Rate"/> requests per second, latency measured from
/// each request's intended start, so a server that stalls cannot hide its tail (no coordinated omission). Closed loop:
/// <see cref="Concurrency"/> clients at full speed (maximum throughput).
/// </summary>
public sealed record LoadShape(LoadMode Mode, double Rate, int Concurrency, TimeSpan Duration, long MaxRequests)
{
    public static LoadShape OpenLoop(double rate, TimeSpan duration) => new(LoadMode.Open, rate, 0, duration, (long)Math.Ceiling(rate * duration.TotalSeconds));

    public static LoadShape ClosedLoop(int concurrency, TimeSpan duration, long maxRequests = long.MaxValue) => new(LoadMode.Closed, 0, concurrency, duration, maxRequests);
}
