using Microsoft.Extensions.Logging;

namespace Gateway.Limiting.Resilience;

/// <summary>
/// Stops requests from paying the store's deadline one by one while it is down. It opens after
/// <see cref="FailuresToOpen"/> failed calls in a row, or at once when the connection reports a failure; while open no
/// call is made and a probe runs every <see cref="ProbeInterval"/> (on its own deadline); the first probe that succeeds
/// closes it. Thread-safe without locks: state is one integer.
/// </summary>
internal sealed partial class StoreCircuitBreaker : IDisposable
{
    public const int FailuresToOpen = 3;

    public static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(500);

    private readonly Func<CancellationToken, Task> _probe;
    private readonly TimeSpan _deadline;
    private readonly ILogger<StoreCircuitBreaker> _logger;
    private readonly ITimer _probeTimer;
    private int _state = (int)CircuitState.Closed;
    private int _consecutiveFailures;
    private int _probing;
    private int _openSignals;
    private long _openedAt;

    /// <param name="probe">A cheap call to the store (a PING); success closes the circuit.</param>
    /// <param name="deadline">How long a probe may take.</param>
    /// <param name="logger">Logs every change of state.</param>
    public StoreCircuitBreaker(Func<CancellationToken, Task> probe, TimeSpan deadline, ILogger<StoreCircuitBreaker> logger)
    {
        _probe = probe;
        _deadline = deadline;
        _logger = logger;
        // Real time on purpose: the probe paces real I/O, whatever clock the limiter's decisions use.
        _probeTimer = TimeProvider.System.CreateTimer(static s => ((StoreCircuitBreaker)s!).ProbeIfOpen(), this, ProbeInterval, ProbeInterval);
    }

    /// <summary>
    /// Runs when a probe succeeds, before the circuit closes: work that must reach the store before requests do
    /// (adding permits admitted on fallback to its counters). Its failure does not keep the circuit open.
    /// </summary>
    public Func<Task>? BeforeClosing { get; set; }

    public CircuitState State => (CircuitState)Volatile.Read(ref _state);

    public bool IsOpen => Volatile.Read(ref _state) == (int)CircuitState.Open;

    /// <summary>How many times the circuit opened since start (for health reports and tests).</summary>
    public int Openings { get; private set; }

    /// <summary>When the circuit last opened (UTC), or null if it never did.</summary>
    public DateTimeOffset? LastOpenedAt => Volatile.Read(ref _openedAt) is var t and > 0 ? new DateTimeOffset(t, TimeSpan.Zero) : null;

    public void RecordSuccess()
    {
        if (Volatile.Read(ref _consecutiveFailures) != 0)
        {
            Volatile.Write(ref _consecutiveFailures, 0);
        }
    }

    public void RecordFailure(Exception? cause)
    {
        if (Interlocked.Increment(ref _consecutiveFailures) >= FailuresToOpen)
        {
            Open(cause?.Message ?? "calls failed");
        }
    }

    /// <summary>Opens at once: the connection itself reported a failure.</summary>
    public void Open(string reason)
    {
        // Counted even when already open: a probe that succeeded before this signal must not close the circuit after it.
        Interlocked.Increment(ref _openSignals);
        if (Interlocked.Exchange(ref _state, (int)CircuitState.Open) == (int)CircuitState.Closed)
        {
            Openings++;
            Volatile.Write(ref _openedAt, DateTime.UtcNow.Ticks);
            Log.Opened(_logger, reason, ProbeInterval);
        }
    }

    /// <summary>Runs one probe now if the circuit is open (the timer calls it; so can a connection-restored event).</summary>
    public void ProbeIfOpen()
    {
        if (!IsOpen || Interlocked.Exchange(ref _probing, 1) == 1)
        {
            return;
        }

        _ = ProbeAsync();
    }

    public void Dispose() => _probeTimer.Dispose();

    private async Task ProbeAsync()
    {
        var signalsBefore = Volatile.Read(ref _openSignals);
        try
        {
            using var timeout = new CancellationTokenSource(_deadline);
            await _probe(timeout.Token).WaitAsync(_deadline).ConfigureAwait(false);
            Volatile.Write(ref _consecutiveFailures, 0);
            if (BeforeClosing is { } beforeClosing)
            {
                try
                {
                    await beforeClosing().ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    Log.BeforeClosingFailed(_logger, e);
                }
            }

            // A failure reported while the probe or the work before closing ran is newer than the probe's success.
            if (Volatile.Read(ref _openSignals) != signalsBefore)
            {
                Log.ProbeFailed(_logger, "the store failed again while the circuit was closing");
                return;
            }

            if (Interlocked.CompareExchange(ref _state, (int)CircuitState.Closed, (int)CircuitState.Open) == (int)CircuitState.Open)
            {
                var outage = DateTime.UtcNow - new DateTime(Volatile.Read(ref _openedAt), DateTimeKind.Utc);
                Log.ClosedAgain(_logger, outage);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Log.ProbeFailed(_logger, e.Message);
        }
        finally
        {
            Volatile.Write(ref _probing, 0);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1401, Level = LogLevel.Warning, Message = "Rate limit store unavailable ({Reason}): circuit open, policies use their failure mode; probing every {ProbeInterval}.")]
        public static partial void Opened(ILogger logger, string reason, TimeSpan probeInterval);

        [LoggerMessage(EventId = 1402, Level = LogLevel.Information, Message = "Rate limit store answers again after {Outage}: circuit closed, back to shared limits.")]
        public static partial void ClosedAgain(ILogger logger, TimeSpan outage);

        [LoggerMessage(EventId = 1408, Level = LogLevel.Warning, Message = "Work before closing the store circuit failed; closing it anyway.")]
        public static partial void BeforeClosingFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 1403, Level = LogLevel.Debug, Message = "Rate limit store probe failed: {Reason}")]
        public static partial void ProbeFailed(ILogger logger, string reason);
    }
}
