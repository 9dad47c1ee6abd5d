using Gateway.Limiting.Storage.Redis;
using Gateway.Observability;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.Limiting.Resilience;

/// <summary>
/// Adds the permits admitted on local fallback to Redis's counters, in the windows they were admitted in: whenever Redis
/// answers (every <see cref="Interval"/> while the ledger holds any, not only after an outage), before the circuit closes
/// again (so requests meet counters that include what the outage admitted), right after it closed (what was admitted
/// while it closed), and once more when the gateway stops. Cells are reconciled in parallel; one whose call fails goes
/// back into the ledger to be tried again, until its windows no longer matter; one whose call misses the deadline counts
/// once its late answer arrives, and goes back only if the call fails. While the circuit is open, cells whose windows
/// closed are dropped, so a long outage holds only what can still change a decision.
/// </summary>
internal sealed partial class FallbackReconciler : BackgroundService, IAsyncDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    private const int Parallelism = 16;
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    private readonly FallbackLedger _ledger;
    private readonly RedisRateLimitStore _redis;
    private readonly StoreCircuitBreaker _breaker;
    private readonly StoreClock _clock;
    private readonly ILogger<FallbackReconciler> _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly SemaphoreSlim _wake = new(0, 1);

    public FallbackReconciler(FallbackLedger ledger, RedisRateLimitStore redis, StoreCircuitBreaker breaker, StoreClock clock, ILogger<FallbackReconciler> logger)
    {
        _ledger = ledger;
        _redis = redis;
        _breaker = breaker;
        _clock = clock;
        _logger = logger;
        // Fallback admissions reach Redis's counters before any request does again; what was admitted while the circuit
        // closed follows at once.
        _breaker.BeforeClosing = () => ReconcileAsync(whileCircuitOpen: true);
        _breaker.Closed = Wake;
    }

    /// <summary>Reconciles everything in the ledger now (the loop does it on its own; tests and the stop call it).</summary>
    public async Task ReconcileAsync(bool whileCircuitOpen = false)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            var entries = _ledger.Drain();
            if (entries.Count == 0)
            {
                return;
            }

            var now = _clock.NowMicroseconds();
            long reconciled = 0, expired = 0, retried = 0;
            await Parallel.ForEachAsync(entries, new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (entry, _) =>
            {
                if (entry.RelevantUntil <= now)
                {
                    Interlocked.Add(ref expired, entry.Permits);
                    return;
                }

                var outcome = await TryReconcileAsync(entry, whileCircuitOpen).ConfigureAwait(false);
                Interlocked.Add(ref outcome ? ref reconciled : ref retried, entry.Permits);
            }).ConfigureAwait(false);

            GatewayMetrics.ReconciledPermits.Add(reconciled, new KeyValuePair<string, object?>("outcome", "reconciled"));
            GatewayMetrics.ReconciledPermits.Add(expired, new KeyValuePair<string, object?>("outcome", "expired"));
            if (whileCircuitOpen)
            {
                // After an outage: worth a line at Information. The continuous rounds are routine.
                Log.ReconciledAfterOutage(_logger, reconciled, entries.Count, expired, retried);
            }
            else
            {
                Log.Reconciled(_logger, reconciled, entries.Count, expired, retried);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A last reconciliation as the gateway stops, before the Redis connection closes (it is disposed after this).</summary>
    public async ValueTask DisposeAsync()
    {
        _breaker.BeforeClosing = null;
        _breaker.Closed = null;
        if (_ledger.Count > 0 && _breaker.IsOpen)
        {
            Log.StopWithCircuitOpen(_logger, _ledger.PendingPermits);
        }
        else if (_ledger.Count > 0)
        {
            try
            {
                await ReconcileAsync().WaitAsync(StopTimeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                Log.StopTimedOut(_logger, _ledger.Count, StopTimeout);
            }
        }

        Dispose();
        _wake.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Real time: the loop paces real I/O. The breaker wakes it at once when the circuit closes.
        while (!stoppingToken.IsCancellationRequested)
        {
            await _wake.WaitAsync(Interval, stoppingToken).ConfigureAwait(false);
            if (_ledger.Count == 0)
            {
                continue;
            }

            if (_breaker.IsOpen)
            {
                var dropped = _ledger.Prune(_clock.NowMicroseconds());
                GatewayMetrics.ReconciledPermits.Add(dropped, new KeyValuePair<string, object?>("outcome", "expired"));
                continue;
            }

            try
            {
                await ReconcileAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
            {
                Log.ReconcileFailed(_logger, e);
            }
        }
    }

    /// <summary>True when the permits reached Redis (or will: a late call); false when they went back into the ledger.</summary>
    private async Task<bool> TryReconcileAsync(LedgerEntry entry, bool whileCircuitOpen)
    {
        try
        {
            await _redis.ReconcileAsync(entry, whileCircuitOpen).ConfigureAwait(false);
            return true;
        }
        catch (StoreDeadlineExceededException late)
        {
            // It may yet be applied: trying again before knowing would count the permits twice. They go back only if the
            // call fails (if it was never sent, or the connection dropped before the reply, they may count twice: the
            // strict side).
            _ = late.LateAnswer.ContinueWith(
                (t, s) => ((FallbackLedger)s!).Restore(entry), _ledger, CancellationToken.None, TaskContinuationOptions.NotOnRanToCompletion, TaskScheduler.Default);
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Unavailable, or anything unexpected: the permits go back into the ledger rather than be lost.
            _ledger.Restore(entry);
            return false;
        }
    }

    private void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already woken.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1407, Level = LogLevel.Information, Message = "Redis is back: reconciled {Permits} permits admitted on local fallback ({Cells} key-windows; {Expired} permits of closed windows dropped; {Retried} to retry).")]
        public static partial void ReconciledAfterOutage(ILogger logger, long permits, int cells, long expired, long retried);

        [LoggerMessage(EventId = 1418, Level = LogLevel.Debug, Message = "Reconciled {Permits} permits admitted on local fallback ({Cells} key-windows; {Expired} permits of closed windows dropped; {Retried} to retry).")]
        public static partial void Reconciled(ILogger logger, long permits, int cells, long expired, long retried);

        [LoggerMessage(EventId = 1419, Level = LogLevel.Warning, Message = "Stopping with the Redis circuit open: {Permits} permits admitted on local fallback will not be counted in Redis.")]
        public static partial void StopWithCircuitOpen(ILogger logger, long permits);

        [LoggerMessage(EventId = 1414, Level = LogLevel.Warning, Message = "Reconciliation failed; the ledger keeps its permits for the next round.")]
        public static partial void ReconcileFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 1415, Level = LogLevel.Warning, Message = "Stopping: {Cells} key-windows of fallback admissions not reconciled within {Timeout}; Redis will not count them.")]
        public static partial void StopTimedOut(ILogger logger, int cells, TimeSpan timeout);
    }
}
