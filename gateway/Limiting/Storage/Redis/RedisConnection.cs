using Gateway.Limiting.Resilience;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Gateway.Limiting.Storage.Redis;

/// <summary>
/// The process's one <see cref="ConnectionMultiplexer"/>, and the circuit breaker in front of it. Start-up waits a
/// moment for Redis (so a healthy deployment starts on shared limits) but never fails for it: with
/// <c>AbortOnConnectFail=false</c> the gateway starts while Redis is down, serves in each policy's failure mode, and
/// the client keeps reconnecting. Commands fail fast while disconnected rather than queueing behind the reconnect,
/// and every call has our own deadline on top of the client's timeouts.
/// </summary>
internal sealed partial class RedisConnection : IDisposable
{
    /// <summary>How long start-up waits for a first connection before serving in failure mode.</summary>
    private static readonly TimeSpan StartupWait = TimeSpan.FromSeconds(2);

    private readonly Task<ConnectionMultiplexer> _connecting;
    private readonly ILogger<RedisConnection> _logger;

    public RedisConnection(string configuration, TimeSpan deadline, ILoggerFactory loggerFactory)
    {
        _logger = loggerFactory.CreateLogger<RedisConnection>();
        Deadline = deadline;
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        options.ClientName ??= "gateway";
        // While disconnected, fail at once instead of queueing: the caller has a failure mode to serve.
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.ReconnectRetryPolicy ??= new LinearRetry(500);
        Breaker = new StoreCircuitBreaker(PingAsync, deadline, loggerFactory.CreateLogger<StoreCircuitBreaker>());
        _connecting = ConnectAsync(options);
        if (!_connecting.Wait(StartupWait) || !_connecting.Result.IsConnected)
        {
            Breaker.Open("not connected at start-up");
        }
    }

    /// <summary>For tests that talk to a Redis they know is up: the generous default deadline, no logging.</summary>
    public RedisConnection(string configuration)
        : this(configuration, TimeSpan.FromSeconds(5), Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance)
    {
    }

    public StoreCircuitBreaker Breaker { get; }

    /// <summary>The longest a request waits on Redis, whatever the client's own timeouts are.</summary>
    public TimeSpan Deadline { get; }

    public ConnectionMultiplexer Multiplexer => _connecting.IsCompletedSuccessfully
        ? _connecting.Result
        : throw new StoreUnavailableException("Redis is not connected yet.");

    public IDatabase Database => Multiplexer.GetDatabase();

    /// <summary>The database, unless the multiplexer is still being created (Redis unreachable at start-up).</summary>
    public bool TryGetDatabase(out IDatabase database)
    {
        if (_connecting.IsCompletedSuccessfully)
        {
            database = _connecting.Result.GetDatabase();
            return true;
        }

        database = null!;
        return false;
    }

    public void Dispose()
    {
        Breaker.Dispose();
        if (_connecting.IsCompletedSuccessfully)
        {
            _connecting.Result.Dispose();
        }
    }

    private async Task<ConnectionMultiplexer> ConnectAsync(ConfigurationOptions options)
    {
        var multiplexer = await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
        multiplexer.ConnectionFailed += (_, e) =>
        {
            // Only the interactive connection matters for decisions; a dropped pub/sub link does not stop them.
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                Log.ConnectionFailed(_logger, e.EndPoint?.ToString() ?? "?", e.FailureType.ToString());
                Breaker.Open($"connection to {e.EndPoint} failed: {e.FailureType}");
            }
        };
        multiplexer.ConnectionRestored += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                Breaker.ProbeIfOpen();
            }
        };
        return multiplexer;
    }

    private async Task PingAsync(CancellationToken cancellationToken)
    {
        if (!TryGetDatabase(out var database))
        {
            throw new StoreUnavailableException("Redis is not connected yet.");
        }

        var multiplexer = _connecting.Result;
        if (!multiplexer.IsConnected)
        {
            throw new StoreUnavailableException("Redis is not connected.");
        }

        // Every primary must answer (a Cluster with a primary down cannot serve that primary's keys).
        foreach (var endpoint in multiplexer.GetEndPoints())
        {
            var server = multiplexer.GetServer(endpoint);
            if (!server.IsReplica)
            {
                await server.PingAsync(CommandFlags.DemandMaster).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        await database.PingAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1404, Level = LogLevel.Warning, Message = "Redis connection to {EndPoint} failed: {FailureType}.")]
        public static partial void ConnectionFailed(ILogger logger, string endPoint, string failureType);
    }
}
