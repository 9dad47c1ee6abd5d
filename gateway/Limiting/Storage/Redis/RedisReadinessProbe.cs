using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Gateway.Limiting.Storage.Redis;

/// <summary>
/// What a decision needs of Redis, checked on every primary that owns slots: every script loaded (loaded there if not),
/// and a script that writes running within a decision's deadline. The circuit breaker's probe: a Redis that answers
/// PING but cannot run a decision's script (out of memory under noeviction, a read-only replica, busy with another
/// script) fails it. Also loads the scripts everywhere after a reconnect or a topology change, so no decision meets
/// NOSCRIPT.
/// </summary>
internal sealed partial class RedisReadinessProbe
{
    private readonly string _keyPrefix;
    private readonly TimeSpan _decisionDeadline;
    private readonly TimeSpan _loadDeadline;
    private readonly ILogger<RedisReadinessProbe> _logger;

    /// <param name="keyPrefix">Prefix of the probe's keys (each with a 1 s TTL).</param>
    /// <param name="decisionDeadline">What a decision waits: the writing script must answer within it.</param>
    /// <param name="loadDeadline">How long loading the scripts may take outside a probe.</param>
    /// <param name="logger">Failed loads, at Debug.</param>
    public RedisReadinessProbe(string keyPrefix, TimeSpan decisionDeadline, TimeSpan loadDeadline, ILogger<RedisReadinessProbe> logger)
    {
        _keyPrefix = keyPrefix;
        _decisionDeadline = decisionDeadline;
        _loadDeadline = loadDeadline;
        _logger = logger;
    }

    /// <summary>Succeeds only if every primary has the scripts and runs the writing script in time.</summary>
    public async Task RunAsync(ConnectionMultiplexer multiplexer, CancellationToken cancellationToken)
    {
        var primaries = RedisPrimaries.Find(multiplexer, _keyPrefix);
        await Task.WhenAll(primaries.Select(async primary =>
        {
            await LoadAsync(primary.Server, cancellationToken).ConfigureAwait(false);
            // Within a decision's deadline: a Redis that answers, but too slowly for decisions, keeps the circuit open.
            await primary.Server.ExecuteAsync("EVALSHA", [RedisScripts.Probe.Sha1Hex, 1, primary.ProbeKey], CommandFlags.DemandMaster)
                .WaitAsync(_decisionDeadline, cancellationToken).ConfigureAwait(false);
        })).ConfigureAwait(false);
    }

    /// <summary>Loads every script on every primary; a failure is only logged (a call meeting NOSCRIPT loads it too).</summary>
    public async Task LoadScriptsAsync(ConnectionMultiplexer multiplexer, string reason)
    {
        try
        {
            using var timeout = new CancellationTokenSource(_loadDeadline);
            foreach (var (server, _) in RedisPrimaries.Find(multiplexer, _keyPrefix))
            {
                await LoadAsync(server, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Log.ScriptLoadFailed(_logger, reason, e.Message);
        }
    }

    private static async Task LoadAsync(IServer server, CancellationToken cancellationToken)
    {
        foreach (var script in RedisScripts.All)
        {
            await script.EnsureLoadedAsync(server, cancellationToken).ConfigureAwait(false);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1410, Level = LogLevel.Debug, Message = "Could not load the scripts on every primary ({Reason}): {Problem}")]
        public static partial void ScriptLoadFailed(ILogger logger, string reason, string problem);
    }
}
