using Gateway.Limiting.Resilience;

namespace Gateway.Tests.Limiting.Resilience;

/// <summary>What the next probe does.</summary>
internal enum ProbeOutcome
{
    /// <summary>Completes at once: the store answers.</summary>
    Succeed,

    /// <summary>Faults at once, as a PING to a disconnected Redis does.</summary>
    Fail,

    /// <summary>Never completes and ignores its token: only the breaker's own deadline can end it.</summary>
    Hang,
}

/// <summary>
/// The probe a <see cref="StoreCircuitBreaker"/> runs while open, scripted by the test. The breaker's own timer also
/// probes every 500 ms on real time, so tests never count calls exactly: they set the outcome, poke
/// <see cref="StoreCircuitBreaker.ProbeIfOpen"/> and wait for the state the outcome must lead to. Fails by default,
/// so a timer probe never closes a circuit behind a test's back.
/// </summary>
internal sealed class ScriptedProbe
{
    private int _outcome = (int)ProbeOutcome.Fail;
    private int _calls;

    public ProbeOutcome Outcome
    {
        get => (ProbeOutcome)Volatile.Read(ref _outcome);
        set => Volatile.Write(ref _outcome, (int)value);
    }

    /// <summary>Probes started so far, by the test or by the breaker's timer.</summary>
    public int Calls => Volatile.Read(ref _calls);

    public Task InvokeAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        return Outcome switch
        {
            ProbeOutcome.Succeed => Task.CompletedTask,
            ProbeOutcome.Fail => Task.FromException(new StoreUnavailableException("scripted probe failure")),
            _ => new TaskCompletionSource().Task,
        };
    }
}
