namespace Gateway.Limiting.Leasing;

/// <summary>Section <c>RateLimiting:Store:Leases</c>: how the Redis store hands out permits in batches.</summary>
/// <param name="Enabled">Leases on (the default for Redis); off makes every decision one script call.</param>
/// <param name="MaxLeaseSize">The most permits one instance takes for one key at once.</param>
/// <param name="Coverage">A lease is sized to cover about this much of the key's recent traffic on this instance.</param>
/// <param name="Duration">
/// The longest an instance keeps a lease; permits unused by then go back to the store, so an instance whose traffic
/// moved elsewhere strands nothing for longer than this.
/// </param>
/// <param name="MaxKeys">Bound on keys with lease state per instance; the least recently used are dropped first.</param>
public sealed record LeaseSettings(bool Enabled, long MaxLeaseSize, TimeSpan Coverage, TimeSpan Duration, int MaxKeys)
{
    public static LeaseSettings Default { get; } = new(
        Enabled: true, MaxLeaseSize: 1000, Coverage: TimeSpan.FromMilliseconds(100), Duration: TimeSpan.FromSeconds(1), MaxKeys: 100_000);

    /// <summary>How often expired leases are collected and their unused permits given back.</summary>
    public TimeSpan SweepInterval => TimeSpan.FromTicks(Math.Clamp(Duration.Ticks / 4, TimeSpan.TicksPerMillisecond * 10, TimeSpan.TicksPerMillisecond * 250));

    /// <summary>
    /// How long the store assumes this instance may hold a lease: its duration, plus time for the sweep to notice it
    /// expired and for the return to reach the store. An instance refused by the store waits at most this long
    /// before it asks again, in case permits come back.
    /// </summary>
    public TimeSpan HoldTime => Duration + (2 * SweepInterval) + TimeSpan.FromMilliseconds(100);
}
