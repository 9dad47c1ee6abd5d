using System.Collections.Immutable;

namespace Gateway.Limiting.Policies;

/// <summary>
/// The rules one request is checked against, all at once. Immutable; the RateLimit-Policy header value is
/// built once here rather than per response.
/// </summary>
public sealed class RuleSet
{
    public RuleSet(string policyName, string source, ImmutableArray<RateLimitRule> rules)
    {
        if (rules.IsDefaultOrEmpty)
        {
            throw new ArgumentException("A rule set needs at least one rule.", nameof(rules));
        }

        PolicyName = policyName;
        Source = source;
        Rules = rules;
        PolicyHeaderValue = string.Join(", ", rules.Select(FormatPolicyItem));
    }

    public string PolicyName { get; }

    /// <summary>Where the rules came from, for logs and the admin API: <c>tier:free</c> or <c>override</c>.</summary>
    public string Source { get; }

    public ImmutableArray<RateLimitRule> Rules { get; }

    /// <summary>The <c>RateLimit-Policy</c> field (draft-ietf-httpapi-ratelimit-headers-10).</summary>
    public string PolicyHeaderValue { get; }

    /// <summary>Names each rule <c>{policy}-{window}</c>, adding the algorithm only where two rules share a window.</summary>
    public static string RuleName(string policyName, RateLimitAlgorithm algorithm, TimeSpan window, bool windowShared)
    {
        var name = $"{policyName}-{DurationFormat.Format(window)}";
        return windowShared ? $"{name}-{RateLimitRule.AlgorithmCode(algorithm)}" : name;
    }

    private static string FormatPolicyItem(RateLimitRule rule)
    {
        var item = $"\"{rule.Name}\";q={rule.Limit};w={rule.WindowSecondsForHeader}";
        // Extension parameter: clients that do not know it ignore it (structured-field parameters are open).
        return rule.Algorithm == RateLimitAlgorithm.TokenBucket ? $"{item};burst={rule.Burst}" : item;
    }
}
