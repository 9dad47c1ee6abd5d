namespace Gateway.Limiting.Resilience;

/// <summary>What a policy does while the shared store cannot decide (down, stalled past the deadline, unreachable).</summary>
public enum FailureMode
{
    /// <summary>
    /// Each instance enforces the policy's limits divided by the live instances it last counted, on its own
    /// counters; a lease still valid is used first. The default: limiting goes on, roughly at the configured total.
    /// </summary>
    LocalFallback,

    /// <summary>Admit every request (no RateLimit fields): for limits that protect nothing critical.</summary>
    FailOpen,

    /// <summary>Refuse every request with 503 and <c>Retry-After: 1</c>: for limits that guard cost or abuse.</summary>
    FailClosed,
}
