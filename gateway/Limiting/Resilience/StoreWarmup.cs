using Gateway.Limiting.Overrides;
using Gateway.Limiting.Storage;
using Gateway.Limiting.Storage.Redis;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.Limiting.Resilience;

/// <summary>
/// The warm start of the Redis store, in the background while Kestrel already answers <c>/healthz</c> and (with 503)
/// <c>/readyz</c>: connect; probe (every script loaded on every primary, a writing script run there; this closes the
/// circuit); run each script once, so the first decisions find their code compiled; count the live instances (a first
/// heartbeat, so local fallback never divides by a guess); load the runtime overrides. Then readiness settles and
/// requests are decided. Bounded by <c>StartupTimeout</c>: a Redis that is down at start leaves the gateway serving in
/// each policy's failure mode, <c>/readyz</c> Degraded, until a probe finds Redis back.
/// </summary>
internal sealed partial class StoreWarmup : BackgroundService
{
    private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(100);

    private readonly StoreReadiness _readiness;
    private readonly RedisConnection _connection;
    private readonly RedisRateLimitStore _redis;
    private readonly InstanceRegistry _instances;
    private readonly OverrideRegistry _overrides;
    private readonly TimeSpan _timeout;
    private readonly ILogger<StoreWarmup> _logger;

    public StoreWarmup(
        StoreReadiness readiness,
        RedisConnection connection,
        RedisRateLimitStore redis,
        InstanceRegistry instances,
        OverrideRegistry overrides,
        IRateLimitStore store,
        StoreSettings settings,
        ILogger<StoreWarmup> logger)
    {
        // Built now, not by the first request: the whole chain (leases, fallback, gauges) exists before traffic does.
        _ = store;
        _readiness = readiness;
        _connection = connection;
        _redis = redis;
        _instances = instances;
        _overrides = overrides;
        _timeout = settings.StartupTimeout;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        bound.CancelAfter(_timeout);
        var started = TimeProvider.System.GetTimestamp();
        try
        {
            await WarmUpAsync(bound.Token).ConfigureAwait(false);
            _readiness.Complete(warm: true, problem: null);
            Log.Ready(_logger, TimeProvider.System.GetElapsedTime(started), _instances.LiveInstances);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            GiveUp($"Redis not ready within {_timeout} (at: {_readiness.Stage})");
        }
        catch (OperationCanceledException)
        {
            // Stopping during the warm start.
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Whatever went wrong, it must not stop the host: the gateway serves in its failure mode instead.
            GiveUp($"{e.Message} (at: {_readiness.Stage})");
        }
        finally
        {
            // Never left unsettled: requests waiting for the warm start must get an answer.
            _readiness.Complete(warm: false, problem: "the warm start ended early (the gateway is stopping)");
        }
    }

    private void GiveUp(string reason)
    {
        var problem = reason + "; deciding with Redis when its circuit is closed, in each policy's failure mode while it is open";
        _readiness.Complete(warm: false, problem);
        Log.GaveUp(_logger, problem);
    }

    private async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        _readiness.Enter("connecting");
        await _connection.Connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (!_connection.Multiplexer.IsConnected)
        {
            // The first attempt failed (refused, unreachable, timed out): waiting out the bound would only hold requests
            // back. The client keeps reconnecting, and the breaker's probe closes the circuit once Redis is ready.
            throw new StoreUnavailableException("Redis was unreachable at start-up");
        }

        _readiness.Enter("loading and probing scripts on every primary");
        while (!await _connection.Breaker.ProbeNowAsync().WaitAsync(cancellationToken).ConfigureAwait(false))
        {
            await Task.Delay(RetryPause, cancellationToken).ConfigureAwait(false);
        }

        _readiness.Enter("running each script once");
        await RetryAsync(async () =>
        {
            await _redis.WarmUpAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);

        _readiness.Enter("counting live instances");
        await RetryAsync(_instances.BeatAsync, cancellationToken).ConfigureAwait(false);

        _readiness.Enter("loading runtime overrides");
        await RetryAsync(async () =>
        {
            await _overrides.ReloadAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            return _overrides.LastLoadSucceeded;
        }, cancellationToken).ConfigureAwait(false);
    }

    private static async Task RetryAsync(Func<Task<bool>> step, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                if (await step().ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException and not OperationCanceledException)
            {
                // Tried again until the bound.
            }

            await Task.Delay(RetryPause, cancellationToken).ConfigureAwait(false);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1416, Level = LogLevel.Information, Message = "Redis store warm after {Elapsed}: scripts loaded and run on every primary, {LiveInstances} live instances, overrides loaded; ready.")]
        public static partial void Ready(ILogger logger, TimeSpan elapsed, int liveInstances);

        [LoggerMessage(EventId = 1417, Level = LogLevel.Warning, Message = "Redis store not warm: {Problem}.")]
        public static partial void GaveUp(ILogger logger, string problem);
    }
}
