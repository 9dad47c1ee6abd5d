using Microsoft.Extensions.Logging;

namespace Gateway.Limiting.Resilience;

/// <summary>
/// Stops requests from paying the store's deadline one by one while it is down. A connection failure opens it at once;
/// calls that fail or miss the deadline open it only when they are a large enough share of enough recent calls
/// (<see cref="BreakerSettings"/>), so a lone late answer never does. While open no call is made and a probe runs every
/// <see cref="ProbeInterval"/> (on its own deadline); the first probe that succeeds closes it. The probe checks what a
/// decision needs (every primary runs a writing script), not merely that Redis answers PING.
/// </summary>
internal sealed partial class StoreCircuitBreaker : IDisposable
{
    public static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(500);

    private readonly Func<CancellationToken, Task> _probe;
    private readonly TimeSpan _deadline;
    private readonly FailureRateWindow _window;
    private readonly int _minimumCalls;
    private readonly ILogger<StoreCircuitBreaker> _logger;
    private readonly ITimer _probeTimer;
    private int _state;
    private int _probing;
    private int _openSignals;
    private int _openings;
    private long _openedAt;
    private bool _everClosed;
    private Task _currentProbe = Task.CompletedTask;
    private volatile string? _openReason;

    /// <param name="probe">A call that succeeds only if the store can decide (scripts run on every primary).</param>
    /// <param name="deadline">How long a probe may take.</param>
    /// <param name="settings">When failed calls open the circuit.</param>
    /// <param name="logger">Logs every change of state.</param>
    /// <param name="time">The clock of the failure-rate window; real time unless a test moves it.</param>
    /// <param name="startOpen">Open from the start, until a first probe (the warm start) succeeds: nothing is decided on a store not yet known to work.</param>
    public StoreCircuitBreaker(
        Func<CancellationToken, Task> probe, TimeSpan deadline, BreakerSettings settings, ILogger<StoreCircuitBreaker> logger, TimeProvider? time = null, bool startOpen = false)
    {
        _probe = probe;
        _deadline = deadline;
        _logger = logger;
        _window = new FailureRateWindow(settings, time ?? TimeProvider.System);
        _minimumCalls = settings.MinimumCalls;
        _state = (int)(startOpen ? CircuitState.Open : CircuitState.Closed);
        _openReason = startOpen ? "starting: not yet connected" : null;
        _everClosed = !startOpen;
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

    /// <summary>Why the circuit is open (null while closed).</summary>
    public string? OpenReason => IsOpen ? _openReason : null;

    /// <summary>How many times the circuit opened after having been closed (for health reports and tests).</summary>
    public int Openings => Volatile.Read(ref _openings);

    /// <summary>When the circuit last opened (UTC), or null if it never did.</summary>
    public DateTimeOffset? LastOpenedAt => Volatile.Read(ref _openedAt) is var t and > 0 ? new DateTimeOffset(t, TimeSpan.Zero) : null;

    /// <summary>Calls and failures the breaker weighs now.</summary>
    public (int Calls, int Failures) RecentCalls => _window.Snapshot();

    /// <summary>
    /// Whether recent calls have been on time: fewer than half of <see cref="BreakerSettings.MinimumCalls"/> failed or
    /// were late within the window. A call late while Redis is punctual gets a grace; while it is not, none.
    /// </summary>
    public bool IsPunctual => _window.Snapshot().Failures * 2 < _minimumCalls;

    public void RecordSuccess() => _window.RecordSuccess();

    /// <summary>A decision's call failed or missed the deadline: opens the circuit if such calls now dominate.</summary>
    public void RecordFailure(Exception? cause)
    {
        if (_window.RecordFailure() && !IsOpen)
        {
            var (calls, failures) = _window.Snapshot();
            Open($"{failures} of the last {calls} calls failed or missed the deadline ({cause?.Message ?? "no detail"})");
        }
    }

    /// <summary>Runs after the circuit closed (on the probe's thread): work that may follow requests, such as reconciling what was admitted while it closed.</summary>
    public Action? Closed { get; set; }

    /// <summary>Opens at once: the connection reported a failure, or failed calls reached the threshold.</summary>
    public void Open(string reason)
    {
        // Counted even when already open: a probe that succeeded before this signal must not close the circuit after it.
        Interlocked.Increment(ref _openSignals);
        if (Interlocked.Exchange(ref _state, (int)CircuitState.Open) == (int)CircuitState.Closed)
        {
            _openReason = reason;
            Interlocked.Increment(ref _openings);
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

        Volatile.Write(ref _currentProbe, ProbeAsync());
    }

    /// <summary>Probes now (or joins the probe running) and returns whether the circuit is closed after it.</summary>
    public async Task<bool> ProbeNowAsync()
    {
        ProbeIfOpen();
        await Volatile.Read(ref _currentProbe).ConfigureAwait(false);
        return !IsOpen;
    }

    public void Dispose() => _probeTimer.Dispose();

    private async Task ProbeAsync()
    {
        var signalsBefore = Volatile.Read(ref _openSignals);
        try
        {
            using var timeout = new CancellationTokenSource(_deadline);
            var probe = _probe(timeout.Token);
            // A probe cut by the deadline may still fail later: observe it, so it is not an unobserved exception.
            _ = probe.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            await probe.WaitAsync(_deadline).ConfigureAwait(false);
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

            _window.Reset();
            if (Interlocked.CompareExchange(ref _state, (int)CircuitState.Closed, (int)CircuitState.Open) == (int)CircuitState.Open)
            {
                // An Open() between the check above and this exchange found the circuit still open and changed nothing:
                // its failure is newer than the probe's success, so the circuit goes back to open.
                if (Volatile.Read(ref _openSignals) != signalsBefore)
                {
                    Interlocked.CompareExchange(ref _state, (int)CircuitState.Open, (int)CircuitState.Closed);
                    Log.ProbeFailed(_logger, "the store failed again while the circuit was closing");
                    return;
                }

                if (_everClosed)
                {
                    var outage = DateTime.UtcNow - new DateTime(Volatile.Read(ref _openedAt), DateTimeKind.Utc);
                    Log.ClosedAgain(_logger, outage);
                }
                else
                {
                    _everClosed = true;
                    Log.Ready(_logger);
                }

                Closed?.Invoke();
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            if (!_everClosed)
            {
                _openReason = "starting: " + e.Message;
            }

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

        [LoggerMessage(EventId = 1409, Level = LogLevel.Information, Message = "Rate limit store ready: scripts loaded and run on every primary; circuit closed.")]
        public static partial void Ready(ILogger logger);
    }
}
