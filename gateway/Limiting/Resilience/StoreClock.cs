using Gateway.Limiting.Storage;

namespace Gateway.Limiting.Resilience;

/// <summary>
/// Redis's clock as this instance can estimate it while Redis does not answer: the last time a reply carried (a
/// script's <c>TIME</c>, a heartbeat's) plus the local monotonic time elapsed since it arrived. Fallback counters and
/// the fallback ledger use it, so the windows they count in are Redis's windows however wrong the gateway's own clock
/// is; the error is the reply's travel time plus drift since the last answer. Before any answer it is the local
/// clock. Never moves backwards, except once: when Redis's time is first seen (the local clock may have been ahead).
/// </summary>
internal sealed class StoreClock : TimeProvider
{
    private readonly TimeProvider _local;
    private Sample? _sample;
    private long _lastRead;

    public StoreClock(TimeProvider local) => _local = local;

    public override long TimestampFrequency => _local.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => _local.LocalTimeZone;

    /// <summary>Records that Redis's clock read <paramref name="storeMicroseconds"/> no later than now.</summary>
    public void Observe(long storeMicroseconds)
    {
        if (Interlocked.Exchange(ref _sample, new Sample(storeMicroseconds, _local.GetTimestamp())) is null)
        {
            // The first time Redis's clock is seen, the local clock read before may have been ahead of it: time steps
            // back once to Redis's, rather than stand still for as long as the gateway's clock was ahead.
            Volatile.Write(ref _lastRead, long.MinValue);
        }
    }

    /// <summary>Redis's time now, as far as this instance can tell (microseconds since the epoch).</summary>
    public long NowMicroseconds()
    {
        var sample = Volatile.Read(ref _sample);
        var estimate = sample is null
            ? UnixTime.NowMicroseconds(_local)
            : sample.StoreMicroseconds + (long)_local.GetElapsedTime(sample.LocalTimestamp).Ticks / TimeSpan.TicksPerMicrosecond;

        // A newer sample may put the estimate a little behind the last one read: time must not run backwards for the
        // counters that read it.
        var last = Volatile.Read(ref _lastRead);
        while (estimate > last)
        {
            var seen = Interlocked.CompareExchange(ref _lastRead, estimate, last);
            if (seen == last)
            {
                return estimate;
            }

            last = seen;
        }

        return last;
    }

    public override DateTimeOffset GetUtcNow() =>
        DateTimeOffset.UnixEpoch.AddTicks(NowMicroseconds() * TimeSpan.TicksPerMicrosecond);

    public override long GetTimestamp() => _local.GetTimestamp();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        _local.CreateTimer(callback, state, dueTime, period);

    private sealed record Sample(long StoreMicroseconds, long LocalTimestamp);
}
