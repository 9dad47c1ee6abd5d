using Gateway.Limiting.Algorithms;
using Gateway.Limiting.Policies;

namespace Gateway.Tests.Limiting.Algorithms;

/// <summary>
/// A caller whose clock read came before another caller's write (a race at a window boundary) must not see the
/// newer window as empty, nor write an older window over it.
/// </summary>
public sealed class StaleClockReadTests
{
    private const long Second = 1_000_000;
    private static readonly long Boundary = 1_900_000_000L * Second;

    [Theory]
    [InlineData(RateLimitAlgorithm.FixedWindow)]
    [InlineData(RateLimitAlgorithm.SlidingWindow)]
    public void Evaluate_StateFromALaterWindow_KeepsItsCount(RateLimitAlgorithm algorithm)
    {
        var rule = new RateLimitRule("t-1s", algorithm, 10, TimeSpan.FromSeconds(1), 10);
        var written = RuleEvaluator.Evaluate(default, rule, Boundary, 10).NextState;

        var stale = RuleEvaluator.Evaluate(written, rule, Boundary - 1, 1);

        Assert.False(stale.Allowed);
        Assert.Equal(0, stale.Remaining);
        Assert.Equal(Boundary, stale.NextState.WindowStart);
        Assert.Equal(10, stale.NextState.Count);
    }
}
