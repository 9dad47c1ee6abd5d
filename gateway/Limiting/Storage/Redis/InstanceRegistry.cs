using Gateway.Limiting.Resilience;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Gateway.Limiting.Storage.Redis;

/// <summary>
/// Counts the live gateway instances: each writes a heartbeat every second into one sorted set (score: Redis's own
/// time, so gateway clocks do not matter) and counts the members seen in the last few seconds. Local fallback
/// divides limits by the last count it saw; before any, by <c>ExpectedInstances</c>. Heartbeats use plain commands
/// (TIME, then ZADD/ZREMRANGEBYSCORE/ZCARD/PEXPIRE), never a script.
/// </summary>
internal sealed partial class InstanceRegistry : IDisposable
{
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(1);

    /// <summary>An instance silent for this long no longer counts.</summary>
    public static readonly TimeSpan LivenessWindow = TimeSpan.FromSeconds(5);

    private readonly RedisConnection _connection;
    private readonly RedisKey _key;
    private readonly string _instanceId;
    private readonly ILogger<InstanceRegistry> _logger;
    private readonly ITimer _timer;
    private int _liveInstances;
    private int _beating;

    public InstanceRegistry(RedisConnection connection, string keyPrefix, string instanceId, int expectedInstances, ILogger<InstanceRegistry> logger)
    {
        _connection = connection;
        _key = keyPrefix + "instances";
        _instanceId = instanceId;
        _logger = logger;
        _liveInstances = Math.Max(1, expectedInstances);
        // Real time: heartbeats pace real I/O.
        _timer = TimeProvider.System.CreateTimer(static s => ((InstanceRegistry)s!).Beat(), this, TimeSpan.Zero, HeartbeatInterval);
    }

    /// <summary>Live instances at the last heartbeat, this one included (at least 1).</summary>
    public int LiveInstances => Volatile.Read(ref _liveInstances);

    /// <summary>Redis's clock minus this gateway's, at the last heartbeat (for diagnostics; decisions never use it).</summary>
    public TimeSpan ClockOffset { get; private set; }

    public void Dispose() => _timer.Dispose();

    /// <summary>One heartbeat now (the timer calls it; tests may too).</summary>
    public async Task BeatAsync()
    {
        var breaker = _connection.Breaker;
        if (breaker.IsOpen || !_connection.TryGetDatabase(out var database))
        {
            return;
        }

        try
        {
            var multiplexer = _connection.Multiplexer;
            var server = multiplexer.GetServer(database.IdentifyEndpoint(_key) ?? multiplexer.GetEndPoints()[0]);
            var before = DateTimeOffset.UtcNow;
            var now = await server.TimeAsync(CommandFlags.DemandMaster).WaitAsync(_connection.Deadline).ConfigureAwait(false);
            ClockOffset = new DateTimeOffset(now, TimeSpan.Zero) - before;
            var micros = (now - DateTime.UnixEpoch).Ticks / 10;
            var batch = database.CreateBatch();
            var added = batch.SortedSetAddAsync(_key, _instanceId, micros, CommandFlags.DemandMaster);
            var pruned = batch.SortedSetRemoveRangeByScoreAsync(_key, double.NegativeInfinity, micros - (LivenessWindow.Ticks / 10), Exclude.Stop, CommandFlags.DemandMaster);
            var count = batch.SortedSetLengthAsync(_key, flags: CommandFlags.DemandMaster);
            var expiry = batch.KeyExpireAsync(_key, LivenessWindow * 2, CommandFlags.DemandMaster);
            batch.Execute();
            await Task.WhenAll(added, pruned, count, expiry).WaitAsync(_connection.Deadline).ConfigureAwait(false);
            var live = (int)Math.Max(1, count.Result);
            if (Interlocked.Exchange(ref _liveInstances, live) != live)
            {
                Log.LiveInstancesChanged(_logger, live);
            }

            breaker.RecordSuccess();
        }
        catch (Exception e) when (e is TimeoutException or RedisException or StoreUnavailableException or ObjectDisposedException)
        {
            breaker.RecordFailure(e);
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
        [LoggerMessage(EventId = 1405, Level = LogLevel.Information, Message = "Live gateway instances: {LiveInstances}.")]
        public static partial void LiveInstancesChanged(ILogger logger, int liveInstances);
    }
}
