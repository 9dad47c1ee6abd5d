using Gateway.Limiting.Policies;
using Gateway.Limiting.Storage;

namespace Gateway.Limiting.Leasing;

/// <summary>
/// Permits this instance has already consumed in the store and may hand out until <see cref="ExpiresAt"/>. Taking
/// one is a compare-and-swap on one counter: no lock, no I/O, no allocation. Closing swaps the counter for a
/// negative sentinel, so every permit is either handed out or given back, never both.
/// </summary>
internal sealed class Lease
{
    private const long ClosedMark = long.MinValue / 2;

    private readonly long[] _remainingAtGrant;
    private readonly long[] _resetDeadlines;
    private long _available;
    private long _total;
    private int _prefetchStarted;

    private Lease(RuleSet rules, LeaseGrant grant, bool refillEarly, long grantedAt, long expiresAt, long windowEnd, bool endsWithWindow, long[] resetDeadlines)
    {
        EndsWithWindow = endsWithWindow;
        Rules = rules;
        GrantedAt = grantedAt;
        ExpiresAt = expiresAt;
        WindowEnd = windowEnd;
        StoreTime = grant.StoreTime;
        _available = grant.Granted;
        _total = grant.Granted;
        // Refill before the lease runs dry: a hot key's requests then rarely wait on the store. A lease sized to one
        // request (a cold key) is not worth refilling early: its one request would empty it and size a refill on
        // nothing but itself.
        LowWatermark = refillEarly && grant.Granted >= 2 ? grant.Granted / 4 : -1;
        _remainingAtGrant = Array.ConvertAll(grant.Results, static r => r.Remaining);
        _resetDeadlines = resetDeadlines;
        var shortestWindow = rules.Rules.Where(static r => r.Algorithm != RateLimitAlgorithm.TokenBucket).Select(static r => r.WindowMicroseconds).DefaultIfEmpty().Min();
        OutlivesItsWindow = rules.Rules.Any(r => r.Algorithm == RateLimitAlgorithm.TokenBucket || r.WindowMicroseconds > shortestWindow);
    }

    public RuleSet Rules { get; }

    /// <summary>Local timestamp (<see cref="TimeProvider.GetTimestamp"/>) taken before the store was asked.</summary>
    public long GrantedAt { get; }

    /// <summary>Local timestamp after which no permit may be handed out: the first window end, or the lease duration.</summary>
    public long ExpiresAt { get; }

    /// <summary>The store's time at which the earliest window of the rules ends (microseconds); <see cref="long.MaxValue"/> for buckets only.</summary>
    public long WindowEnd { get; }

    /// <summary>The store's clock at the grant, sent back with unused permits.</summary>
    public long StoreTime { get; }

    public long LowWatermark { get; }

    /// <summary>Whether the lease ends with a window rather than its duration: past that, window counts take nothing back.</summary>
    public bool EndsWithWindow { get; }

    /// <summary>
    /// Whether some rule can still take permits back after the lease's first window ended: a token bucket (at any
    /// time), or a longer window (a per-hour rule beside the per-second one that ended the lease).
    /// </summary>
    public bool OutlivesItsWindow { get; }

    /// <summary>Permits not yet handed out (0 once closed).</summary>
    public long Available => Math.Max(0, Volatile.Read(ref _available));

    /// <summary>Permits handed out so far: the key's local demand, which sizes the next lease.</summary>
    public long HandedOut => Volatile.Read(ref _total) - Available;

    /// <summary>
    /// Builds the lease for a grant made with <paramref name="grantedAt"/> as the local time before the call;
    /// <paramref name="refillEarly"/> is false for a lease sized to a single request. The
    /// store's clock is not ours, so deadlines are durations the store reported, counted from a local instant no later
    /// than the store's own: the lease always ends no later than the window it was taken in.
    /// </summary>
    public static Lease Create(RuleSet rules, LeaseGrant grant, bool refillEarly, long grantedAt, TimeSpan maxDuration, TimeProvider time)
    {
        var list = rules.Rules;
        var resetDeadlines = new long[list.Length];
        var windowMicros = long.MaxValue;
        for (var i = 0; i < list.Length; i++)
        {
            var reset = grant.Results[i].ResetAfter;
            resetDeadlines[i] = grantedAt + LocalTicks.FromMicroseconds(reset, time);
            if (list[i].Algorithm != RateLimitAlgorithm.TokenBucket)
            {
                windowMicros = Math.Min(windowMicros, reset);
            }
        }

        var lifetime = Math.Min(maxDuration.Ticks / TimeSpan.TicksPerMicrosecond, windowMicros);
        var windowEnd = windowMicros == long.MaxValue ? long.MaxValue : grant.StoreTime + windowMicros;
        var endsWithWindow = windowMicros < maxDuration.Ticks / TimeSpan.TicksPerMicrosecond;
        return new Lease(rules, grant, refillEarly, grantedAt, grantedAt + LocalTicks.FromMicroseconds(lifetime, time), windowEnd, endsWithWindow, resetDeadlines);
    }

    /// <summary>Takes <paramref name="cost"/> permits if the lease has them; <paramref name="left"/> is what remains after.</summary>
    public bool TryTake(long cost, out long left)
    {
        var current = Volatile.Read(ref _available);
        while (current >= cost)
        {
            var seen = Interlocked.CompareExchange(ref _available, current - cost, current);
            if (seen == current)
            {
                left = current - cost;
                return true;
            }

            current = seen;
        }

        left = 0;
        return false;
    }

    /// <summary>Adds permits carried over from the lease this one replaced. False if this lease was closed meanwhile.</summary>
    public bool TryAdd(long count)
    {
        var current = Volatile.Read(ref _available);
        while (current >= 0)
        {
            var seen = Interlocked.CompareExchange(ref _available, current + count, current);
            if (seen == current)
            {
                Interlocked.Add(ref _total, count);
                return true;
            }

            current = seen;
        }

        return false;
    }

    /// <summary>Stops the lease; returns the permits nobody took, which the caller must give back or carry over.</summary>
    public long Close() => Math.Max(0, Interlocked.Exchange(ref _available, ClosedMark));

    /// <summary>True exactly once, for the first take that crossed the low watermark.</summary>
    public bool ClaimPrefetch() => Interlocked.Exchange(ref _prefetchStarted, 1) == 0;

    /// <summary>The admitted decision for a request that left <paramref name="left"/> permits in the lease.</summary>
    public RateLimitDecision Admitted(long left, long now, TimeProvider time)
    {
        var count = _remainingAtGrant.Length;
        Span<RuleResult> results = count <= 16 ? stackalloc RuleResult[count] : new RuleResult[count];
        for (var i = 0; i < count; i++)
        {
            // What the store had left after the grant, plus what this lease still holds: all this instance can see.
            results[i] = new RuleResult(true, _remainingAtGrant[i] + left, LocalTicks.MicrosecondsUntil(_resetDeadlines[i], now, time), 0);
        }

        return new RateLimitDecision(Rules, results);
    }
}
