namespace Gateway.LimitsApi;

/// <summary>Body of <c>POST /v1/limits/check</c>.</summary>
/// <param name="Policy">The policy to check against.</param>
/// <param name="Subject">Whose budget (needs the admin role); default: the caller's own (token subject, or address).</param>
/// <param name="Tier">The subject's tier when <paramref name="Subject"/> is given; default: the default tier.</param>
/// <param name="Cost">Permits to take (default 1).</param>
/// <param name="Consume">False to peek without taking anything (default true).</param>
public sealed record CheckRequest(string Policy, string? Subject, string? Tier, long? Cost, bool? Consume);

/// <summary>One rule's state in an answer of the limits API. Times in whole seconds, rounded up.</summary>
public sealed record RuleUsage(string Name, string Algorithm, long Limit, string Window, long? Burst, long Remaining, long ResetSeconds, bool WouldReject);

/// <summary>Answer of <c>POST /v1/limits/check</c> (200 when allowed, 429 when not).</summary>
/// <param name="DryRunWouldRefuse">For a dry-run policy (always allowed): whether the policy would have refused.</param>
public sealed record CheckResponse(
    bool Allowed, string Policy, string Source, string Basis, long? RetryAfterSeconds, IReadOnlyList<RuleUsage> Rules, bool? DryRunWouldRefuse = null);

/// <summary>One policy's state for a subject, in <c>GET /admin/subjects/{id}/usage</c>.</summary>
public sealed record PolicyUsage(string Policy, string Source, bool OverrideActive, DateTimeOffset? OverrideExpiresAt, string? WouldRejectRule, IReadOnlyList<RuleUsage> Rules);

/// <summary>Answer of <c>GET /admin/subjects/{id}/usage</c>.</summary>
public sealed record SubjectUsage(string Subject, string Tier, IReadOnlyList<PolicyUsage> Policies);
