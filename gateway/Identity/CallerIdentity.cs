namespace Gateway.Identity;

/// <summary>Who is calling, as far as rate limiting cares.</summary>
/// <param name="Subject">The subject claim as issued; null for anonymous callers.</param>
/// <param name="SubjectKey">
/// The counter key part: <c>u:{subject}</c>, <c>u#{sha256}</c> for subjects too long or odd to use directly,
/// or <c>ip:{address}</c> for anonymous callers. The prefixes keep a user named "10.0.0.1" apart from that address.
/// </param>
/// <param name="Tier">The tier whose rules apply.</param>
public readonly record struct CallerIdentity(string? Subject, string SubjectKey, string Tier)
{
    public bool IsAnonymous => Subject is null;
}
