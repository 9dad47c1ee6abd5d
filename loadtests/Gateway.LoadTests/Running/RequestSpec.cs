namespace Gateway.LoadTests.Running;

/// <summary>
/// What request number n of a step is: which target (index into the step's targets), which path, whose token, which
/// group its outcome is counted in (e.g. "well-behaved" or "abuser"), and which of the plan's subjects sent it (for
/// per-subject accounting in an observer; -1 when the plan does not number them).
/// </summary>
public readonly record struct RequestSpec(int Target, string Path, string? Token, int Group = 0, int Subject = -1);
