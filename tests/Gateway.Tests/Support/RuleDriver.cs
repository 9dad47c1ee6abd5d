using Gateway.Limiting.Algorithms;
using Gateway.Limiting.Policies;

namespace Gateway.Tests.Support;

/// <summary>Drives one rule the way a store does: evaluate, and keep the next state only when admitted.</summary>
internal sealed class RuleDriver(RateLimitRule rule)
{
    public RuleState State { get; set; }

    public RateLimitRule Rule { get; } = rule;

    /// <summary>Evaluates and consumes when admitted.</summary>
    public RuleEvaluation Acquire(long now, long cost = 1)
    {
        var evaluation = RuleEvaluator.Evaluate(State, Rule, now, cost);
        if (evaluation.Allowed)
        {
            State = evaluation.NextState;
        }

        return evaluation;
    }

    /// <summary>Evaluates without consuming.</summary>
    public RuleEvaluation Peek(long now, long cost = 1) => RuleEvaluator.Evaluate(State, Rule, now, cost);

    /// <summary>
    /// Asserts that a denial's RetryAfter names the first admitting microsecond: the same request is still refused
    /// one microsecond earlier and admitted exactly then.
    /// </summary>
    public void AssertRetryAfterIsExact(long now, RuleEvaluation denial, long cost)
    {
        Assert.True(denial.RetryAfter > 0);
        Assert.False(Peek(now + denial.RetryAfter - 1, cost).Allowed);
        Assert.True(Peek(now + denial.RetryAfter, cost).Allowed);
    }

    /// <summary>Makes <paramref name="attempts"/> requests at one instant; returns how many were admitted.</summary>
    public int AcquireMany(long now, int attempts, long cost = 1)
    {
        var admitted = 0;
        for (var i = 0; i < attempts; i++)
        {
            if (Acquire(now, cost).Allowed)
            {
                admitted++;
            }
        }

        return admitted;
    }
}
