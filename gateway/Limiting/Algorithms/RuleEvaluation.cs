namespace Gateway.Limiting.Algorithms;

/// <summary>
/// What one rule says about one request, computed from the state before the request. Times are microseconds,
/// relative to the evaluation's "now".
/// </summary>
/// <param name="Allowed">Whether the rule would admit the request's cost.</param>
/// <param name="Remaining">Permits left before this request (whole permits, never negative).</param>
/// <param name="ResetAfter">Until the rule's quota resets: window end, or a bucket's time to full.</param>
/// <param name="RetryAfter">When denied: until the rule would admit this cost (0 when allowed).</param>
/// <param name="NextState">The state after consuming the cost; meaningful only when allowed.</param>
/// <param name="NextStateExpiresAt">Absolute time after which <paramref name="NextState"/> equals a fresh state.</param>
public readonly record struct RuleEvaluation(
    bool Allowed,
    long Remaining,
    long ResetAfter,
    long RetryAfter,
    RuleState NextState,
    long NextStateExpiresAt);
