using Gateway.Limiting.Resilience;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Limiting.Resilience;

/// <summary>
/// The breaker's state machine: connection failures open it at once; failed calls only as a share of enough recent
/// calls. Its probe timer runs on real time, so every test scripts the probe to fail unless it says otherwise, starts
/// probes itself with <see cref="StoreCircuitBreaker.ProbeIfOpen"/> and waits for the state, never for a time; the
/// failure-rate window runs on a fake clock where a test moves time.
/// </summary>
public sealed class StoreCircuitBreakerTests
{
    private static readonly TimeSpan GenerousDeadline = TimeSpan.FromSeconds(5);

    /// <summary>The defaults users get: half of at least 10 calls within 2 s.</summary>
    private static readonly BreakerSettings Settings = BreakerSettings.Default;

    [Fact]
    public void State_NewBreaker_IsClosedAndHasNeverOpened()
    {
        using var breaker = Create(new ScriptedProbe());

        Assert.Equal(CircuitState.Closed, breaker.State);
        Assert.False(breaker.IsOpen);
        Assert.Equal(0, breaker.Openings);
        Assert.Null(breaker.LastOpenedAt);
    }

    [Fact]
    public void RecordFailure_FewerCallsThanTheMinimum_StaysClosed()
    {
        using var breaker = Create(new ScriptedProbe());

        // A cold start's first calls may all miss the deadline: too few to say Redis is down. They are accounted for
        // (late answers), not mistaken for an outage.
        RecordFailures(breaker, Settings.MinimumCalls - 1);

        Assert.Equal(CircuitState.Closed, breaker.State);
        Assert.Equal(0, breaker.Openings);
    }

    [Fact]
    public void RecordFailure_MinimumCallsAllFailed_Opens()
    {
        using var breaker = Create(new ScriptedProbe());

        RecordFailures(breaker, Settings.MinimumCalls);

        Assert.Equal(CircuitState.Open, breaker.State);
        Assert.True(breaker.IsOpen);
        Assert.Equal(1, breaker.Openings);
        Assert.NotNull(breaker.LastOpenedAt);
        Assert.Contains($"{Settings.MinimumCalls} of the last {Settings.MinimumCalls} calls", breaker.OpenReason);
    }

    [Fact]
    public void RecordFailure_RatioReachesTheThreshold_OpensOnlyThen()
    {
        using var breaker = Create(new ScriptedProbe());
        RecordSuccesses(breaker, 10);

        // 9 of 19 failed: below half.
        RecordFailures(breaker, 9);
        Assert.Equal(CircuitState.Closed, breaker.State);

        // 10 of 20: half, the default ratio.
        breaker.RecordFailure(null);
        Assert.Equal(CircuitState.Open, breaker.State);
    }

    [Fact]
    public void RecordFailure_ThreeMissesInARowAmongManyAnswers_StaysClosed()
    {
        using var breaker = Create(new ScriptedProbe());
        RecordSuccesses(breaker, 50);

        // What used to open the circuit: a busy moment, not an outage.
        RecordFailures(breaker, 3);
        RecordSuccesses(breaker, 5);
        RecordFailures(breaker, 3);

        Assert.Equal(CircuitState.Closed, breaker.State);
    }

    [Fact]
    public void RecordFailure_FailuresOlderThanTheWindow_NoLongerCount()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        using var breaker = Create(new ScriptedProbe(), clock: clock);
        RecordFailures(breaker, Settings.MinimumCalls - 1);

        clock.Advance(Settings.SamplingWindow);
        RecordFailures(breaker, Settings.MinimumCalls - 1);

        // Never MinimumCalls within one window: failures spread thin over time are a flaky store, not a down one.
        Assert.Equal(CircuitState.Closed, breaker.State);
        Assert.Equal((Settings.MinimumCalls - 1, Settings.MinimumCalls - 1), breaker.RecentCalls);

        breaker.RecordFailure(null);
        Assert.Equal(CircuitState.Open, breaker.State);
    }

    [Fact]
    public void IsPunctual_UntilHalfTheMinimumCallsWereLate()
    {
        using var breaker = Create(new ScriptedProbe());
        RecordSuccesses(breaker, 100);
        Assert.True(breaker.IsPunctual);

        // A late call while calls have been on time gets a grace; once late calls are common, none does.
        RecordFailures(breaker, (Settings.MinimumCalls / 2) - 1);
        Assert.True(breaker.IsPunctual);
        breaker.RecordFailure(null);
        Assert.False(breaker.IsPunctual);
        Assert.Equal(CircuitState.Closed, breaker.State);
    }

    [Fact]
    public async Task StartOpen_IsOpenWithoutCountingAnOpening_UntilTheFirstProbeCloses()
    {
        var probe = new ScriptedProbe();
        using var breaker = Create(probe, startOpen: true);

        Assert.Equal(CircuitState.Open, breaker.State);
        Assert.Equal(0, breaker.Openings);
        Assert.StartsWith("starting", breaker.OpenReason);
        Assert.False(await breaker.ProbeNowAsync());

        probe.Outcome = ProbeOutcome.Succeed;
        Assert.True(await breaker.ProbeNowAsync());
        Assert.Equal(CircuitState.Closed, breaker.State);
        Assert.Equal(0, breaker.Openings);
        Assert.Null(breaker.OpenReason);
    }

    [Fact]
    public void Open_Closed_OpensAtOnce()
    {
        using var breaker = Create(new ScriptedProbe());

        // The connection reported a failure: no need to wait for requests to fail one by one.
        breaker.Open("connection failed");

        Assert.Equal(CircuitState.Open, breaker.State);
        Assert.Equal(1, breaker.Openings);
        Assert.NotNull(breaker.LastOpenedAt);
    }

    [Fact]
    public void Open_AlreadyOpen_IsNotCountedAgain()
    {
        using var breaker = Create(new ScriptedProbe());
        breaker.Open("connection failed");

        breaker.Open("connection failed again");
        RecordFailures(breaker, Settings.MinimumCalls);

        // One outage, one opening: reports and failures during it are not new transitions.
        Assert.Equal(CircuitState.Open, breaker.State);
        Assert.Equal(1, breaker.Openings);
    }

    [Fact]
    public void ProbeIfOpen_Closed_DoesNotProbe()
    {
        var probe = new ScriptedProbe { Outcome = ProbeOutcome.Succeed };
        using var breaker = Create(probe);
        var beforeClosingRuns = 0;
        breaker.BeforeClosing = () =>
        {
            Interlocked.Increment(ref beforeClosingRuns);
            return Task.CompletedTask;
        };

        breaker.ProbeIfOpen();

        // A closed circuit has nothing to find out (and the timer's calls return early the same way).
        Assert.Equal(0, probe.Calls);
        Assert.Equal(0, Volatile.Read(ref beforeClosingRuns));
        Assert.Equal(CircuitState.Closed, breaker.State);
    }

    [Fact]
    public async Task ProbeIfOpen_ProbeSucceeds_RunsBeforeClosingWhileStillOpenThenCloses()
    {
        var probe = new ScriptedProbe();
        using var breaker = Create(probe);
        breaker.Open("test");
        var beforeClosingRuns = 0;
        var observed = CircuitState.Closed;
        breaker.BeforeClosing = () =>
        {
            // Reconciliation must reach the store before requests do: they still see an open circuit meanwhile.
            observed = breaker.State;
            Interlocked.Increment(ref beforeClosingRuns);
            return Task.CompletedTask;
        };

        probe.Outcome = ProbeOutcome.Succeed;
        await Poll.UntilAsync(() => breaker.State == CircuitState.Closed, "the circuit closes", breaker.ProbeIfOpen);

        Assert.Equal(CircuitState.Open, observed);
        // Once closed, no further probe runs, so the work before closing ran exactly once.
        Assert.Equal(1, Volatile.Read(ref beforeClosingRuns));
        Assert.Equal(1, breaker.Openings);
    }

    [Fact]
    public async Task ProbeIfOpen_BeforeClosingStillRunning_StaysOpenUntilItCompletes()
    {
        var probe = new ScriptedProbe();
        using var breaker = Create(probe);
        breaker.Open("test");
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        breaker.BeforeClosing = () =>
        {
            entered.TrySetResult();
            return release.Task;
        };

        probe.Outcome = ProbeOutcome.Succeed;
        breaker.ProbeIfOpen();
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(10));

        // The probe succeeded, but permits admitted on fallback are not in the store yet: requests must keep to the
        // failure mode. Further probes are no-ops while this one runs.
        breaker.ProbeIfOpen();
        Assert.Equal(CircuitState.Open, breaker.State);
        Assert.True(breaker.IsOpen);

        release.SetResult();
        await Poll.UntilAsync(() => breaker.State == CircuitState.Closed, "the circuit closes after the work before closing");
    }

    [Fact]
    public async Task ProbeIfOpen_ProbeFails_StaysOpen()
    {
        var probe = new ScriptedProbe { Outcome = ProbeOutcome.Fail };
        using var breaker = Create(probe);
        breaker.Open("test");
        var beforeClosingRuns = 0;
        breaker.BeforeClosing = () =>
        {
            Interlocked.Increment(ref beforeClosingRuns);
            return Task.CompletedTask;
        };

        // A second probe can only start once the first has finished, so by then the first failure is fully handled.
        await Poll.UntilAsync(() => probe.Calls >= 2, "two probes have run", breaker.ProbeIfOpen);

        Assert.Equal(CircuitState.Open, breaker.State);
        Assert.Equal(0, Volatile.Read(ref beforeClosingRuns));
        Assert.Equal(1, breaker.Openings);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ProbeIfOpen_BeforeClosingFails_ClosesAnyway(bool throwsSynchronously)
    {
        var probe = new ScriptedProbe();
        using var breaker = Create(probe);
        breaker.Open("test");
        var beforeClosingRuns = 0;
        breaker.BeforeClosing = () =>
        {
            Interlocked.Increment(ref beforeClosingRuns);
            return throwsSynchronously
                ? throw new InvalidOperationException("reconciliation failed")
                : Task.FromException(new InvalidOperationException("reconciliation failed"));
        };

        probe.Outcome = ProbeOutcome.Succeed;
        await Poll.UntilAsync(() => breaker.State == CircuitState.Closed, "the circuit closes", breaker.ProbeIfOpen);

        // The store answers: failing to add the fallback permits loses some quota history, which must not keep every
        // request in failure mode. A retry loop would show as more than one run.
        Assert.Equal(1, Volatile.Read(ref beforeClosingRuns));
    }

    [Fact]
    public async Task ProbeIfOpen_ProbeNeverCompletes_IsCutByTheDeadlineAndALaterProbeCloses()
    {
        var probe = new ScriptedProbe { Outcome = ProbeOutcome.Hang };
        using var breaker = Create(probe, TimeSpan.FromMilliseconds(50));
        breaker.Open("test");

        // A second probe can only start once the first hung one was given up on: only the deadline can end it.
        await Poll.UntilAsync(() => probe.Calls >= 2, "a probe starts after a hung one", breaker.ProbeIfOpen);
        Assert.Equal(CircuitState.Open, breaker.State);

        probe.Outcome = ProbeOutcome.Succeed;
        await Poll.UntilAsync(() => breaker.State == CircuitState.Closed, "a later probe closes the circuit", breaker.ProbeIfOpen);
        Assert.Equal(1, breaker.Openings);
    }

    [Fact]
    public async Task ProbeIfOpen_ProbeSucceeds_ForgetsTheCallsThatOpenedIt()
    {
        var probe = new ScriptedProbe();
        using var breaker = Create(probe);
        RecordFailures(breaker, Settings.MinimumCalls);
        probe.Outcome = ProbeOutcome.Succeed;
        await Poll.UntilAsync(() => breaker.State == CircuitState.Closed, "the circuit closes", breaker.ProbeIfOpen);

        // The failures that opened the circuit are history: a fresh window of them is needed to open it again.
        RecordFailures(breaker, Settings.MinimumCalls - 1);
        Assert.Equal(CircuitState.Closed, breaker.State);

        breaker.RecordFailure(null);
        Assert.Equal(CircuitState.Open, breaker.State);
        Assert.Equal(2, breaker.Openings);
    }

    [Fact]
    public async Task Openings_OpenedClosedAndOpenedAgain_CountsEachTransition()
    {
        var probe = new ScriptedProbe();
        using var breaker = Create(probe);

        for (var outage = 1; outage <= 3; outage++)
        {
            probe.Outcome = ProbeOutcome.Fail;
            breaker.Open("test");
            breaker.Open("test");
            Assert.Equal(outage, breaker.Openings);

            probe.Outcome = ProbeOutcome.Succeed;
            await Poll.UntilAsync(() => breaker.State == CircuitState.Closed, "the circuit closes", breaker.ProbeIfOpen);
            Assert.Equal(outage, breaker.Openings); // closing is not an opening
        }
    }

    [Fact]
    public void RecordFailure_ManyThreadsAtOnce_OpensExactlyOnce()
    {
        const int Threads = 16;
        const int FailuresPerThread = 1_000;
        using var breaker = Create(new ScriptedProbe());
        using var start = new Barrier(Threads);

        var threads = Enumerable.Range(0, Threads).Select(_ => new Thread(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < FailuresPerThread; i++)
            {
                breaker.RecordFailure(null);
            }
        })).ToList();
        threads.ForEach(static t => t.Start());
        threads.ForEach(static t => t.Join());

        // Every thread past the threshold calls Open; only the one that flips the state counts an opening.
        Assert.Equal(CircuitState.Open, breaker.State);
        Assert.Equal(1, breaker.Openings);
    }

    [Fact]
    public void Open_ManyThreadsAtOnce_OpensExactlyOnce()
    {
        const int Threads = 16;
        using var breaker = Create(new ScriptedProbe());
        using var start = new Barrier(Threads);

        var threads = Enumerable.Range(0, Threads).Select(_ => new Thread(() =>
        {
            start.SignalAndWait();
            breaker.Open("connection failed");
        })).ToList();
        threads.ForEach(static t => t.Start());
        threads.ForEach(static t => t.Join());

        Assert.Equal(1, breaker.Openings);
    }

    [Fact]
    public async Task Open_ReportedWhileBeforeClosingRuns_KeepsTheCircuitOpen()
    {
        var probe = new ScriptedProbe();
        using var breaker = Create(probe);
        breaker.Open("test");
        breaker.BeforeClosing = () =>
        {
            // The connection drops while reconciliation runs (RedisConnection's ConnectionFailed handler calls Open):
            // this report is newer than the probe's success, so the circuit must not close on the strength of that success.
            probe.Outcome = ProbeOutcome.Fail;
            breaker.Open("connection failed during reconciliation");
            return Task.CompletedTask;
        };

        probe.Outcome = ProbeOutcome.Succeed;
        breaker.ProbeIfOpen();
        // The probe that ran BeforeClosing has finished once it closed the circuit, or once a later probe started.
        await Poll.UntilAsync(() => probe.Calls >= 2 || breaker.State == CircuitState.Closed, "the successful probe has finished", breaker.ProbeIfOpen);

        Assert.Equal(CircuitState.Open, breaker.State);
    }

    private static StoreCircuitBreaker Create(ScriptedProbe probe, TimeSpan? deadline = null, TimeProvider? clock = null, bool startOpen = false) =>
        new(probe.InvokeAsync, deadline ?? GenerousDeadline, Settings, NullLogger<StoreCircuitBreaker>.Instance, clock, startOpen);

    private static void RecordSuccesses(StoreCircuitBreaker breaker, int count)
    {
        for (var i = 0; i < count; i++)
        {
            breaker.RecordSuccess();
        }
    }

    private static void RecordFailures(StoreCircuitBreaker breaker, int count)
    {
        for (var i = 0; i < count; i++)
        {
            breaker.RecordFailure(new StoreUnavailableException("call failed"));
        }
    }
}
