using Gateway.Limiting.Algorithms;
using Gateway.Tests.Support;
using static Gateway.Tests.Support.Time;

namespace Gateway.Tests.Limiting.Algorithms;

public sealed class SlidingWindowAlgorithmTests
{
    private static readonly TimeSpan OneSecond = TimeSpan.FromSeconds(1);

    /// <summary>A 10-per-second rule whose window starting at T0 saw exactly 10 requests.</summary>
    private static RuleDriver FullPreviousWindow()
    {
        var driver = new RuleDriver(Rules.Sliding(10, OneSecond));
        Assert.Equal(10, driver.AcquireMany(T0 + 500_000, attempts: 10));
        return driver;
    }

    [Fact]
    public void Evaluate_FreshState_AdmitsExactlyLimitInOneWindow()
    {
        var driver = new RuleDriver(Rules.Sliding(10, OneSecond));

        Assert.Equal(10, driver.AcquireMany(T0 + 100, attempts: 25));
        Assert.False(driver.Acquire(T0 + 999_999).Allowed);
    }

    [Fact]
    public void Evaluate_QuarterIntoNextWindowAfterFullWindow_EstimateIsSevenAndAHalfSoExactlyTwoAreAdmitted()
    {
        var driver = FullPreviousWindow();
        var now = T0 + 1_250_000;

        var peek = driver.Peek(now);
        var admitted = driver.AcquireMany(now, attempts: 10);

        Assert.Equal(2, peek.Remaining); // floor(10 - 7.5)
        Assert.Equal(2, admitted);
        Assert.Equal(10, driver.State.PreviousCount);
        Assert.Equal(2, driver.State.Count);
    }

    [Fact]
    public void Evaluate_AfterEachAdmissionAtQuarterIntoNextWindow_RemainingIsFloorOfLimitMinusEstimate()
    {
        var driver = FullPreviousWindow();
        var now = T0 + 1_250_000;

        var first = driver.Acquire(now);  // estimate 7.5 before
        var second = driver.Acquire(now); // estimate 8.5 before
        var third = driver.Acquire(now);  // estimate 9.5 before: 10.5 > 10

        Assert.Equal((true, 2L), (first.Allowed, first.Remaining));
        Assert.Equal((true, 1L), (second.Allowed, second.Remaining));
        Assert.Equal((false, 0L), (third.Allowed, third.Remaining));
        Assert.Equal(0, driver.Peek(now, cost: 0).Remaining); // floor(10 - 9.5)
    }

    [Theory]
    [InlineData(0, 0)]          // previous weighs 10
    [InlineData(100_000, 1)]    // 9
    [InlineData(250_000, 2)]    // 7.5
    [InlineData(500_000, 5)]    // 5
    [InlineData(750_000, 7)]    // 2.5
    [InlineData(999_999, 9)]    // 0.00001
    [InlineData(1_000_000, 10)] // two windows later the previous count weighs nothing
    public void Evaluate_PreviousWindowWeight_DecaysLinearlyOverTheWindow(long elapsedInNextWindow, int expectedAdmitted)
    {
        var driver = FullPreviousWindow();

        var admitted = driver.AcquireMany(T0 + 1_000_000 + elapsedInNextWindow, attempts: 20);

        Assert.Equal(expectedAdmitted, admitted);
    }

    [Theory]
    [InlineData(10, 0, 1_000_000, 0, 10.0)]
    [InlineData(10, 0, 1_000_000, 250_000, 7.5)]
    [InlineData(10, 3, 1_000_000, 500_000, 8.0)]
    [InlineData(0, 4, 1_000_000, 900_000, 4.0)]
    [InlineData(60, 0, 60_000_000, 20_000_000, 40.0)]
    public void Estimate_PreviousAndCurrentCounts_WeighsPreviousByRemainingOverlap(long previous, long current, long window, long elapsed, double expected)
    {
        Assert.Equal(expected, SlidingWindowAlgorithm.Estimate(previous, current, window, elapsed), precision: 12);
    }

    [Fact]
    public void Evaluate_StateTwoWindowsOld_CountsNothing()
    {
        var driver = FullPreviousWindow();

        var evaluation = driver.Acquire(T0 + 2_000_001);

        Assert.True(evaluation.Allowed);
        Assert.Equal(10, evaluation.Remaining);
        Assert.Equal(0, driver.State.PreviousCount);
        Assert.Equal(1, driver.State.Count);
    }

    [Fact]
    public void Evaluate_DeniedWhileThePreviousWindowDecays_RetryAfterIsTheExactCrossingPoint()
    {
        var driver = FullPreviousWindow();
        var now = T0 + 1_000_000;

        var denied = driver.Acquire(now);

        // 10 * (1 - t) + 0 + 1 <= 10  =>  t = 0.1 s into the window.
        Assert.False(denied.Allowed);
        Assert.Equal(100_000, denied.RetryAfter);
        Assert.Equal(1_000_000, denied.ResetAfter);
        Assert.False(driver.Peek(now + 99_999).Allowed);
        Assert.True(driver.Peek(now + 100_000).Allowed);
    }

    [Fact]
    public void Evaluate_DeniedWithCurrentWindowFull_RetryAfterWaitsIntoTheNextWindow()
    {
        var driver = new RuleDriver(Rules.Sliding(10, OneSecond));
        driver.AcquireMany(T0 + 200_000, attempts: 10);
        var now = T0 + 300_000;

        var denied = driver.Acquire(now);

        // Next window: 10 * (1 - t) + 1 <= 10  =>  t = 0.1 s, so 0.7 s + 0.1 s from now.
        Assert.False(denied.Allowed);
        Assert.Equal(800_000, denied.RetryAfter);
        Assert.False(driver.Peek(now + 799_999).Allowed);
        Assert.True(driver.Peek(now + 800_000).Allowed);
    }

    [Fact]
    public void Evaluate_DeniedWithCostAboveOne_RetryAfterAccountsForTheWholeCost()
    {
        var driver = FullPreviousWindow();
        var now = T0 + 1_000_000;

        var denied = driver.Acquire(now, cost: 4);

        // 10 * (1 - t) + 4 <= 10  =>  t = 0.4 s.
        Assert.Equal(400_000, denied.RetryAfter);
        Assert.False(driver.Peek(now + 399_999, cost: 4).Allowed);
        Assert.True(driver.Peek(now + 400_000, cost: 4).Allowed);
    }

    [Fact]
    public void Evaluate_CostAboveLimit_IsNeverAdmitted()
    {
        var driver = new RuleDriver(Rules.Sliding(5, OneSecond));

        var fresh = driver.Acquire(T0, cost: 6);
        var muchLater = driver.Acquire(T0 + (10 * MicrosPerSecond), cost: 6);

        Assert.False(fresh.Allowed);
        Assert.False(muchLater.Allowed);
        Assert.Equal(2 * MicrosPerSecond, fresh.RetryAfter);
        Assert.False(driver.State.Initialized);
    }

    [Fact]
    public void Evaluate_Allowed_NextStateExpiresTwoWindowsAfterTheWindowStart()
    {
        var driver = new RuleDriver(Rules.Sliding(10, TimeSpan.FromMinutes(1)));

        var evaluation = driver.Acquire(T0 + (30 * MicrosPerSecond));

        Assert.Equal(T0 + (2 * MicrosPerMinute), evaluation.NextStateExpiresAt);
        Assert.Equal(30 * MicrosPerSecond, evaluation.ResetAfter);
        Assert.Equal(0, evaluation.RetryAfter);
    }

    [Fact]
    public void Evaluate_AnyDeniedState_AdmitsAtNowPlusRetryAfterAndNotOneMicrosecondEarlier()
    {
        var random = new Random(7);
        var checkedDenials = 0;
        var intoNextWindow = 0;
        foreach (var window in new[] { TimeSpan.FromMilliseconds(250), OneSecond, TimeSpan.FromSeconds(90), TimeSpan.FromMinutes(1) })
        {
            for (var run = 0; run < 60; run++)
            {
                var limit = random.Next(1, 30);
                var driver = new RuleDriver(Rules.Sliding(limit, window));
                var windowMicros = driver.Rule.WindowMicroseconds;
                var now = T0 + random.NextInt64(windowMicros * 3);
                for (var step = 0; step < 80; step++)
                {
                    now += random.NextInt64(windowMicros / 8);
                    var cost = random.Next(1, limit + 1);
                    var evaluation = driver.Acquire(now, cost);
                    if (evaluation.Allowed)
                    {
                        continue;
                    }

                    checkedDenials++;
                    if (evaluation.RetryAfter >= evaluation.ResetAfter)
                    {
                        intoNextWindow++;
                    }

                    driver.AssertRetryAfterIsExact(now, evaluation, cost);
                }
            }
        }

        Assert.True(checkedDenials > 500, $"only {checkedDenials} denials were checked");
        Assert.True(intoNextWindow > 50, $"only {intoNextWindow} denials had to wait into the next window");
    }

    /// <summary>Long windows: the admission test's tolerance on counts spans many microseconds there; RetryAfter must still be exact.</summary>
    [Fact]
    public void Evaluate_AnyDeniedStateUnderLongWindows_AdmitsAtNowPlusRetryAfterAndNotOneMicrosecondEarlier()
    {
        var random = new Random(11);
        var checkedDenials = 0;
        foreach (var window in new[] { TimeSpan.FromHours(1), TimeSpan.FromDays(1), TimeSpan.FromDays(366) })
        {
            for (var run = 0; run < 40; run++)
            {
                var limit = random.Next(1, 1000);
                var driver = new RuleDriver(Rules.Sliding(limit, window));
                var windowMicros = driver.Rule.WindowMicroseconds;
                var now = T0 + random.NextInt64(windowMicros * 3);
                for (var step = 0; step < 80; step++)
                {
                    now += random.NextInt64(windowMicros / 8);
                    var cost = random.Next(1, Math.Min(limit, 50) + 1);
                    var evaluation = driver.Acquire(now, cost);
                    if (!evaluation.Allowed)
                    {
                        checkedDenials++;
                        driver.AssertRetryAfterIsExact(now, evaluation, cost);
                    }
                }
            }
        }

        Assert.True(checkedDenials > 100, $"only {checkedDenials} denials were checked");
    }
}
