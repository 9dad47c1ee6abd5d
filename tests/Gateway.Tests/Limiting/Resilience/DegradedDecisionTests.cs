using Gateway.Limiting.Policies;
using Gateway.Limiting.Storage;
using Gateway.Tests.Support;

namespace Gateway.Tests.Limiting.Resilience;

/// <summary>The decisions failure modes stand in with, and how <see cref="DecisionBasis"/> bears on admission.</summary>
public sealed class DegradedDecisionTests
{
    private static readonly RuleSet TwoRules = Rules.Set(
        Rules.Fixed(10, TimeSpan.FromSeconds(1), "p-1s"),
        Rules.Bucket(100, TimeSpan.FromMinutes(1), burst: 150, "p-1m"));

    /// <summary>More rules than a decision holds inline: the results spill into an array.</summary>
    private static readonly RuleSet SixRules = Rules.Set(
        [.. Enumerable.Range(1, 6).Select(static i => Rules.Fixed(i * 10, TimeSpan.FromSeconds(i), $"p-{i}s"))]);

    public static TheoryData<string> RuleSetNames => ["two", "six"];

    [Theory]
    [MemberData(nameof(RuleSetNames))]
    public void FailedOpen_AnyRuleSet_AdmitsWithBasisFailOpenAndEveryRuleAtItsLimit(string name)
    {
        var rules = RuleSet(name);

        var decision = RateLimitDecision.FailedOpen(rules);

        Assert.True(decision.Allowed);
        Assert.Equal(DecisionBasis.FailOpen, decision.Basis);
        Assert.Same(rules, decision.Rules);
        Assert.Equal(rules.Rules.Length, decision.Results.Length);
        for (var i = 0; i < rules.Rules.Length; i++)
        {
            Assert.Equal(new RuleResult(true, rules.Rules[i].Limit, 0, 0), decision.Result(i));
        }

        Assert.Equal(0, decision.RetryAfterMicroseconds);
    }

    [Theory]
    [MemberData(nameof(RuleSetNames))]
    public void Unavailable_AnyRuleSet_RefusesWithBasisUnavailableThoughNoRuleDenies(string name)
    {
        var rules = RuleSet(name);

        var decision = RateLimitDecision.Unavailable(rules);

        Assert.False(decision.Allowed);
        Assert.Equal(DecisionBasis.Unavailable, decision.Basis);
        Assert.Equal(rules.Rules.Length, decision.Results.Length);
        // The refusal is the missing decision, not a rule: no rule says it denied, so no rule-based wait is invented.
        Assert.All(decision.Results.ToArray(), static r => Assert.True(r.Allowed));
        Assert.Equal(0, decision.RetryAfterMicroseconds);
        // Header code reads the deciding rule of every decision: it must name a real rule.
        Assert.InRange(decision.DecidingRuleIndex, 0, rules.Rules.Length - 1);
        Assert.Same(rules.Rules[decision.DecidingRuleIndex], decision.DecidingRule);
    }

    [Fact]
    public void Constructor_NoBasisGiven_IsShared()
    {
        var decision = new RateLimitDecision(TwoRules, [new(true, 9, 1, 0), new(true, 149, 1, 0)]);

        Assert.Equal(DecisionBasis.Shared, decision.Basis);
        Assert.True(decision.Allowed);
    }

    [Fact]
    public void Constructor_LocalFallbackBasis_AdmitsAndRefusesByTheRules()
    {
        // Local fallback is a real decision on local counters: only Unavailable overrides what the rules say.
        var admitted = new RateLimitDecision(TwoRules, [new(true, 2, 1, 0), new(true, 40, 1, 0)], DecisionBasis.LocalFallback);
        var refused = new RateLimitDecision(TwoRules, [new(false, 0, 700, 700), new(true, 40, 1, 0)], DecisionBasis.LocalFallback);

        Assert.True(admitted.Allowed);
        Assert.Equal(DecisionBasis.LocalFallback, admitted.Basis);
        Assert.False(refused.Allowed);
        Assert.Equal(700, refused.RetryAfterMicroseconds);
    }

    [Fact]
    public void Constructor_UnavailableBasisWithAdmittingRules_Refuses()
    {
        var decision = new RateLimitDecision(TwoRules, [new(true, 9, 1, 0), new(true, 149, 1, 0)], DecisionBasis.Unavailable);

        Assert.False(decision.Allowed);
    }

    private static RuleSet RuleSet(string name) => name == "six" ? SixRules : TwoRules;
}
