using Gateway.Limiting.Algorithms;
using Gateway.Limiting.Policies;
using Gateway.Tests.Support;
using static Gateway.Tests.Support.Time;

namespace Gateway.Tests.Limiting.Algorithms;

public sealed class RuleEvaluatorTests
{
    [Fact]
    public void Evaluate_EachAlgorithm_DispatchesToItsImplementation()
    {
        var fixedRule = Rules.Fixed(10, TimeSpan.FromSeconds(1));
        var slidingRule = Rules.Sliding(10, TimeSpan.FromSeconds(1));
        var bucketRule = Rules.Bucket(5, TimeSpan.FromSeconds(1), burst: 10);
        var state = new RuleState { Initialized = true, WindowStart = T0, Count = 4, PreviousCount = 0, Tokens = 2 };

        Assert.Equal(FixedWindowAlgorithm.Evaluate(state, fixedRule, T0 + 10, 1), RuleEvaluator.Evaluate(state, fixedRule, T0 + 10, 1));
        Assert.Equal(SlidingWindowAlgorithm.Evaluate(state, slidingRule, T0 + 10, 1), RuleEvaluator.Evaluate(state, slidingRule, T0 + 10, 1));
        Assert.Equal(TokenBucketAlgorithm.Evaluate(state, bucketRule, T0 + 10, 1), RuleEvaluator.Evaluate(state, bucketRule, T0 + 10, 1));
        Assert.Equal(6, RuleEvaluator.Evaluate(state, fixedRule, T0 + 10, 1).Remaining);
        Assert.Equal(2, RuleEvaluator.Evaluate(state, bucketRule, T0 + 10, 1).Remaining);
    }

    [Theory]
    [InlineData(RateLimitAlgorithm.FixedWindow)]
    [InlineData(RateLimitAlgorithm.SlidingWindow)]
    [InlineData(RateLimitAlgorithm.TokenBucket)]
    public void Evaluate_FreshStateAndPositiveCost_AllowsAndInitializesTheNextState(RateLimitAlgorithm algorithm)
    {
        var rule = new RateLimitRule("p", algorithm, 3, TimeSpan.FromSeconds(1), 3);

        var evaluation = RuleEvaluator.Evaluate(default, rule, T0 + 5, 1);

        Assert.True(evaluation.Allowed);
        Assert.Equal(3, evaluation.Remaining);
        Assert.Equal(0, evaluation.RetryAfter);
        Assert.True(evaluation.NextState.Initialized);
        Assert.True(evaluation.NextStateExpiresAt > T0 + 5);
    }

    [Fact]
    public void Evaluate_ZeroCost_NeverConsumes()
    {
        var driver = new RuleDriver(Rules.Fixed(1, TimeSpan.FromSeconds(1)));
        driver.Acquire(T0);

        var peek = driver.Acquire(T0, cost: 0);

        Assert.True(peek.Allowed);
        Assert.Equal(0, peek.Remaining);
        Assert.Equal(1, driver.State.Count);
    }
}
