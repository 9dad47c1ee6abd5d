using System.Runtime.CompilerServices;

namespace Gateway.Limiting.Storage;

/// <summary>Room for the results of a decision's first rules inside the decision itself, so deciding allocates nothing.</summary>
[InlineArray(RateLimitDecision.InlineRuleCount)]
internal struct RuleResultBuffer
{
    private RuleResult _element;
}
