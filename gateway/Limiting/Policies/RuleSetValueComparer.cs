namespace Gateway.Limiting.Policies;

/// <summary>
/// Compares rule sets by what they say (policy, source, and every rule's algorithm, limit, window and burst), not by
/// reference. The hot path keeps comparing by reference; this is for finding an equal set once per reload.
/// </summary>
internal sealed class RuleSetValueComparer : IEqualityComparer<RuleSet>
{
    public static RuleSetValueComparer Instance { get; } = new();

    public bool Equals(RuleSet? x, RuleSet? y)
    {
        if (ReferenceEquals(x, y))
        {
            return true;
        }

        if (x is null || y is null || x.Rules.Length != y.Rules.Length
            || !string.Equals(x.PolicyName, y.PolicyName, StringComparison.Ordinal) || !string.Equals(x.Source, y.Source, StringComparison.Ordinal))
        {
            return false;
        }

        for (var i = 0; i < x.Rules.Length; i++)
        {
            var a = x.Rules[i];
            var b = y.Rules[i];
            if (a.Algorithm != b.Algorithm || a.Limit != b.Limit || a.Window != b.Window || a.Burst != b.Burst
                || !string.Equals(a.Name, b.Name, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    public int GetHashCode(RuleSet obj)
    {
        var hash = new HashCode();
        hash.Add(obj.PolicyName, StringComparer.Ordinal);
        hash.Add(obj.Source, StringComparer.Ordinal);
        foreach (var rule in obj.Rules)
        {
            hash.Add(rule.Algorithm);
            hash.Add(rule.Limit);
            hash.Add(rule.Window);
            hash.Add(rule.Burst);
        }

        return hash.ToHashCode();
    }
}
