namespace Gateway.Limiting.Resilience;

/// <summary>
/// Section <c>RateLimiting:Store:Redis:Breaker</c>: when slowness opens the store circuit. A connection failure opens it
/// at once whatever these say; calls that miss the deadline open it only as a failure rate over a window with enough
/// calls, so a few late answers (a cold JIT, a GC pause, a busy moment) are accounted for and never mistaken for an
/// outage.
/// </summary>
/// <param name="FailureRatio">Share of failed calls in the window that opens the circuit (0 &lt; ratio &lt;= 1).</param>
/// <param name="MinimumCalls">Calls the window must hold before its ratio counts.</param>
/// <param name="SamplingWindow">How far back calls count.</param>
public sealed record BreakerSettings(double FailureRatio, int MinimumCalls, TimeSpan SamplingWindow)
{
    public static BreakerSettings Default { get; } = new(FailureRatio: 0.5, MinimumCalls: 10, SamplingWindow: TimeSpan.FromSeconds(2));
}
