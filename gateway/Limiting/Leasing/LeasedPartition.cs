namespace Gateway.Limiting.Leasing;

/// <summary>
/// One key's lease state on this instance: the live lease, a cached refusal, and the one refill in flight. The hot
/// path only reads fields; the lock guards starting a refill and removal, never a permit.
/// </summary>
internal sealed class LeasedPartition
{
    private readonly Lock _lock = new();
    private Lease? _current;
    private LeaseDenial? _denial;
    private Task? _refill;
    private long _lastUsed;
    private volatile bool _removed;
    private int _generation;

    public LeasedPartition(string key, long now)
    {
        Key = key;
        _lastUsed = now;
    }

    public string Key { get; }

    public Lease? Current => Volatile.Read(ref _current);

    public LeaseDenial? Denial
    {
        get => Volatile.Read(ref _denial);
        set => Volatile.Write(ref _denial, value);
    }

    /// <summary>Local timestamp of the last request; idle partitions are dropped.</summary>
    public long LastUsed => Volatile.Read(ref _lastUsed);

    /// <summary>Set, under the lock, once the partition left the table; a request that sees it looks up again.</summary>
    public bool Removed => _removed;

    /// <summary>Bumped by a reset: a refill that started under an older generation brings permits of counters that are gone.</summary>
    public int Generation => Volatile.Read(ref _generation);

    public void NextGeneration() => Interlocked.Increment(ref _generation);

    public bool RefillInFlight => Volatile.Read(ref _refill) is { IsCompleted: false };

    /// <summary>The refill in flight, if any.</summary>
    public Task? PendingRefill => Volatile.Read(ref _refill) is { IsCompleted: false } refill ? refill : null;

    public void Touch(long now, long granularity)
    {
        // Idleness is judged coarsely: skipping most writes keeps a hot key's cache line from bouncing between cores.
        if (now - Volatile.Read(ref _lastUsed) > granularity)
        {
            Volatile.Write(ref _lastUsed, now);
        }
    }

    /// <summary>Installs a new lease and returns the one it replaces (to be closed by the caller).</summary>
    public Lease? Install(Lease lease) => Interlocked.Exchange(ref _current, lease);

    /// <summary>Takes the lease out if it is still <paramref name="expected"/>; the caller closes it.</summary>
    public bool TryDetach(Lease expected) => Interlocked.CompareExchange(ref _current, null, expected) == expected;

    /// <summary>Detaches whatever lease is live (shutdown, eviction).</summary>
    public Lease? DetachAny() => Interlocked.Exchange(ref _current, null);

    /// <summary>
    /// The refill in flight, or a new one from <paramref name="start"/>: concurrent requests that find the lease empty
    /// wait on one store call. Null when the partition was removed (the caller looks it up again).
    /// </summary>
    public Task? JoinOrStartRefill<TState>(Func<LeasedPartition, TState, Task> start, TState state)
    {
        lock (_lock)
        {
            if (Removed)
            {
                return null;
            }

            if (_refill is { IsCompleted: false } inFlight)
            {
                return inFlight;
            }

            var refill = start(this, state);
            Volatile.Write(ref _refill, refill);
            return refill;
        }
    }

    /// <summary>Marks the partition removed if it is idle at <paramref name="now"/>: no lease, no refill, unused since <paramref name="idleSince"/>.</summary>
    public bool TryRemoveIfIdle(long idleSince)
    {
        lock (_lock)
        {
            if (Removed || Volatile.Read(ref _current) is not null || _refill is { IsCompleted: false } || LastUsed > idleSince)
            {
                return false;
            }

            _removed = true;
            return true;
        }
    }

    /// <summary>Marks the partition removed whatever its state (the table is over its bound); returns its lease, if any.</summary>
    public Lease? ForceRemove()
    {
        lock (_lock)
        {
            _removed = true;
            return DetachAny();
        }
    }
}
