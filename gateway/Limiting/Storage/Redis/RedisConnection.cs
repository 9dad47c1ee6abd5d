using Gateway.Limiting.Resilience;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Gateway.Limiting.Storage.Redis;

/// <summary>
/// The process's one <see cref="ConnectionMultiplexer"/>, and the circuit breaker in front of it. Connecting never blocks
/// start-up and never fails it: with <c>AbortOnConnectFail=false</c> the client keeps reconnecting while the gateway
/// serves in each policy's failure mode. The circuit starts open and is closed by the first probe that succeeds (the
/// warm start does one at once): it loads every script on every primary and runs a writing script there, so the first
/// decision never pays for a connection, a NOSCRIPT or a read-only node. Scripts are loaded again after a reconnect or
/// a topology change. Commands fail fast while disconnected rather than queueing behind the reconnect, and every call
/// has our own deadline on top of the client's timeouts.
/// </summary>
internal sealed partial class RedisConnection : IDisposable
{
    private readonly Task<ConnectionMultiplexer> _connecting;
    private readonly RedisReadinessProbe _probe;
    private readonly ILogger<RedisConnection> _logger;

    public RedisConnection(string configuration, TimeSpan deadline, BreakerSettings breaker, string keyPrefix, ILoggerFactory loggerFactory)
    {
        _logger = loggerFactory.CreateLogger<RedisConnection>();
        Deadline = deadline;
        _probe = new RedisReadinessProbe(keyPrefix, deadline, ProbeDeadline(deadline), loggerFactory.CreateLogger<RedisReadinessProbe>());
        // Replies are read and completed on the client's own threads, not the thread pool: a busy or cold process
        // (JIT, a burst of requests) then still sees Redis's answer the moment it arrives, so the deadline measures
        // Redis, not our own queue. (StackExchange.Redis 3 reads on the pool unless asked; measured here: a reply took
        // over 3 s to complete on a saturated pool, 5 ms with this.) Costs a reader and a writer thread per connection.
        ConnectionMultiplexer.SetFeatureFlag("DedicatedThreads", true);
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        options.ClientName ??= "gateway";
        // While disconnected, fail at once instead of queueing: the caller has a failure mode to serve.
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.ReconnectRetryPolicy ??= new LinearRetry(500);
        // The probe loads scripts and talks to several servers: it gets more time than a decision, but still a bound.
        Breaker = new StoreCircuitBreaker(ProbeAsync, ProbeDeadline(deadline), breaker, loggerFactory.CreateLogger<StoreCircuitBreaker>(), startOpen: true);
        _connecting = ConnectAsync(options);
    }

    /// <summary>
    /// For tests that talk to a Redis they know is up: a generous deadline, no logging, and connected, with scripts
    /// loaded and the circuit closed, before the constructor returns.
    /// </summary>
    public RedisConnection(string configuration)
        : this(configuration, TimeSpan.FromSeconds(5), BreakerSettings.Default, "rl:", Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance)
    {
        if (!WarmUpForTestsAsync().Wait(TimeSpan.FromSeconds(30)))
        {
            throw new InvalidOperationException($"Redis at {configuration} did not become ready within 30 s.");
        }
    }

    public StoreCircuitBreaker Breaker { get; }

    /// <summary>The longest a request waits on Redis, whatever the client's own timeouts are.</summary>
    public TimeSpan Deadline { get; }

    /// <summary>Completes when the multiplexer exists (connected or still retrying in the background).</summary>
    public Task Connecting => _connecting;

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

    private static TimeSpan ProbeDeadline(TimeSpan deadline) => TimeSpan.FromTicks(Math.Max(deadline.Ticks * 20, TimeSpan.TicksPerSecond));

    private async Task WarmUpForTestsAsync()
    {
        await _connecting.ConfigureAwait(false);
        while (!await Breaker.ProbeNowAsync().ConfigureAwait(false))
        {
            await Task.Delay(100).ConfigureAwait(false);
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
                // A server that restarted has no scripts: load them before a decision meets NOSCRIPT.
                _ = _probe.LoadScriptsAsync(multiplexer, "reconnected");
                Breaker.ProbeIfOpen();
            }
        };
        multiplexer.ConfigurationChanged += (_, _) => _ = _probe.LoadScriptsAsync(multiplexer, "topology changed");
        return multiplexer;
    }

    private async Task ProbeAsync(CancellationToken cancellationToken)
    {
        if (!_connecting.IsCompleted)
        {
            throw new StoreUnavailableException("Redis is not connected yet.");
        }

        await _probe.RunAsync(await _connecting.ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1404, Level = LogLevel.Warning, Message = "Redis connection to {EndPoint} failed: {FailureType}.")]
        public static partial void ConnectionFailed(ILogger logger, string endPoint, string failureType);

    }
}
