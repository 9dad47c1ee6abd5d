namespace Gateway.Limiting.Storage;

/// <summary>One rule's part of a decision, after the decision was applied. Times in microseconds from the decision.</summary>
/// <param name="Allowed">Whether this rule alone would have admitted the request.</param>
/// <param name="Remaining">Permits left under this rule after the decision.</param>
/// <param name="ResetAfter">Until the rule's quota resets (window end; a bucket's time to full).</param>
/// <param name="RetryAfter">When this rule denied: until it would admit the same cost. 0 otherwise.</param>
public readonly record struct RuleResult(bool Allowed, long Remaining, long ResetAfter, long RetryAfter);
