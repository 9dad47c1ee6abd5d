using Gateway.Limiting.Resilience;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Gateway.Limiting.Storage.Redis;

/// <summary>
/// Counts the live gateway instances: each writes a heartbeat every second into one sorted set (score: Redis's own
/// time, so gateway clocks do not matter) and counts the members seen in the last few seconds. Local fallback divides
/// limits by <see cref="FallbackDivisor"/>: the largest of <c>ExpectedInstances</c> and the counts of the last
/// <see cref="ShareMemory"/> of heartbeats, so an instance that has just started, or that a scale-up has not yet
/// shown all its peers, never takes more than its share. Heartbeats use plain commands (TIME, then
/// ZADD/ZREMRANGEBYSCORE/ZCARD/PEXPIRE), never a script, and their failures never open the circuit: a decision's
/// calls say whether Redis can decide.
/// </summary>
internal sealed partial class InstanceRegistry : IDisposable, IAsyncDisposable
{
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(1);

    /// <summary>An instance silent for this long no longer counts.</summary>
    public static readonly TimeSpan LivenessWindow = TimeSpan.FromSeconds(5);

    /// <summary>How many heartbeats back the fallback divisor remembers the largest count (one a second).</summary>
    public const int ShareMemory = 30;

    private readonly RedisConnection _connection;
    private readonly RedisKey _key;
    private readonly string _instanceId;
    private readonly int _expectedInstances;
    private readonly StoreClock? _storeClock;
    private readonly ILogger<InstanceRegistry> _logger;
    private readonly ITimer _timer;
    private readonly int[] _recentCounts = new int[ShareMemory];
    private int _nextSlot;
    private int _liveInstances;
    private int _fallbackDivisor;
    private int _beating;

    public InstanceRegistry(
        RedisConnection connection, string keyPrefix, string instanceId, int expectedInstances, ILogger<InstanceRegistry> logger, StoreClock? storeClock = null)
    {
        _connection = connection;
        _key = keyPrefix + "instances";
        _instanceId = instanceId;
        _logger = logger;
        _storeClock = storeClock;
        _expectedInstances = Math.Max(1, expectedInstances);
        _liveInstances = _expectedInstances;
        _fallbackDivisor = _expectedInstances;
        // Real time: heartbeats pace real I/O.
        _timer = TimeProvider.System.CreateTimer(static s => ((InstanceRegistry)s!).Beat(), this, HeartbeatInterval, HeartbeatInterval);
    }

    /// <summary>Live instances at the last heartbeat, this one included (at least 1; <c>ExpectedInstances</c> before any).</summary>
    public int LiveInstances => Volatile.Read(ref _liveInstances);

    /// <summary>What local fallback divides limits by: the largest of ExpectedInstances and the recent live counts.</summary>
    public int FallbackDivisor => Volatile.Read(ref _fallbackDivisor);

    /// <summary>Redis's clock minus this gateway's, at the last heartbeat (for diagnostics; decisions never use it).</summary>
    public TimeSpan ClockOffset { get; private set; }

    public void Dispose() => _timer.Dispose();

    /// <summary>Stops the heartbeat and leaves the set, so the others stop counting this instance at once, not 5 s later.</summary>
    public async ValueTask DisposeAsync()
    {
        await _timer.DisposeAsync().ConfigureAwait(false);
        if (_connection.Breaker.IsOpen || !_connection.TryGetDatabase(out var database))
        {
            return;
        }

        try
        {
            await database.SortedSetRemoveAsync(_key, _instanceId, CommandFlags.DemandMaster).WaitAsync(_connection.Deadline * 10).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Its heartbeat ages out of the set within the liveness window anyway.
            Log.HeartbeatFailed(_logger, e.Message);
        }
    }

    /// <summary>One heartbeat now (the timer calls it; the warm start and tests may too). True when it counted the instances.</summary>
    public async Task<bool> BeatAsync()
    {
        if (_connection.Breaker.IsOpen || !_connection.TryGetDatabase(out var database))
        {
            return false;
        }

        try
        {
            var multiplexer = _connection.Multiplexer;
            // From the client's slot map, with no round trip: a synchronous lookup (IdentifyEndpoint) would block a
            // pool thread on a reply that itself needs a pool thread, and starve a cold process.
            var server = multiplexer.GetServer(_key, asyncState: null, CommandFlags.DemandMaster);
            var before = DateTimeOffset.UtcNow;
            var now = await server.TimeAsync(CommandFlags.DemandMaster).WaitAsync(_connection.Deadline).ConfigureAwait(false);
            ClockOffset = new DateTimeOffset(now, TimeSpan.Zero) - before;
            var micros = (now - DateTime.UnixEpoch).Ticks / 10;
            _storeClock?.Observe(micros);
            var batch = database.CreateBatch();
            var added = batch.SortedSetAddAsync(_key, _instanceId, micros, CommandFlags.DemandMaster);
            var pruned = batch.SortedSetRemoveRangeByScoreAsync(_key, double.NegativeInfinity, micros - (LivenessWindow.Ticks / 10), Exclude.Stop, CommandFlags.DemandMaster);
            var count = batch.SortedSetLengthAsync(_key, flags: CommandFlags.DemandMaster);
            var expiry = batch.KeyExpireAsync(_key, LivenessWindow * 2, CommandFlags.DemandMaster);
            batch.Execute();
            await Task.WhenAll(added, pruned, count, expiry).WaitAsync(_connection.Deadline).ConfigureAwait(false);
            Counted((int)Math.Max(1, count.Result));
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A missed heartbeat changes no count; only decisions' own calls judge whether Redis can decide. (No primary
            // for the key, a dropped connection, a timeout: all alike here.)
            Log.HeartbeatFailed(_logger, e.Message);
            return false;
        }
    }

    private void Counted(int live)
    {
        int divisor;
        lock (_recentCounts)
        {
            _recentCounts[_nextSlot] = live;
            _nextSlot = (_nextSlot + 1) % ShareMemory;
            divisor = Math.Max(_expectedInstances, _recentCounts.Max());
        }

        Volatile.Write(ref _fallbackDivisor, divisor);
        if (Interlocked.Exchange(ref _liveInstances, live) != live)
        {
            Log.LiveInstancesChanged(_logger, live, divisor);
        }
    }

    private void Beat()
    {
        if (Interlocked.Exchange(ref _beating, 1) == 1)
        {
            return;
        }

        _ = BeatAsync().ContinueWith(t => Volatile.Write(ref _beating, 0), TaskScheduler.Default);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1405, Level = LogLevel.Information, Message = "Live gateway instances: {LiveInstances}; local fallback would divide limits by {FallbackDivisor}.")]
        public static partial void LiveInstancesChanged(ILogger logger, int liveInstances, int fallbackDivisor);

        [LoggerMessage(EventId = 1411, Level = LogLevel.Debug, Message = "Heartbeat failed: {Reason}")]
        public static partial void HeartbeatFailed(ILogger logger, string reason);
    }
}
