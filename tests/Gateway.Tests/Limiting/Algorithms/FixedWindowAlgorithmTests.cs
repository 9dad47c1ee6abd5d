using Gateway.Limiting.Algorithms;
using Gateway.Tests.Support;
using static Gateway.Tests.Support.Time;

namespace Gateway.Tests.Limiting.Algorithms;

public sealed class FixedWindowAlgorithmTests
{
    private static readonly TimeSpan OneSecond = TimeSpan.FromSeconds(1);

    [Fact]
    public void Evaluate_FreshStateWithinOneWindow_AdmitsExactlyLimitThenDenies()
    {
        var driver = new RuleDriver(Rules.Fixed(5, OneSecond));

        var admitted = driver.AcquireMany(T0 + 100, attempts: 12);

        Assert.Equal(5, admitted);
        Assert.Equal(5, driver.State.Count);
        Assert.False(driver.Acquire(T0 + 999_999).Allowed);
    }

    [Fact]
    public void Evaluate_SuccessiveRequests_ReportRemainingBeforeEachRequest()
    {
        var driver = new RuleDriver(Rules.Fixed(3, OneSecond));

        var remaining = Enumerable.Range(0, 4).Select(i => driver.Acquire(T0 + (i * 10)).Remaining).ToArray();

        Assert.Equal([3L, 2L, 1L, 0L], remaining);
    }

    [Fact]
    public void Evaluate_FirstMicrosecondOfNextWindow_CountResetsToZero()
    {
        var driver = new RuleDriver(Rules.Fixed(5, OneSecond));
        Assert.Equal(5, driver.AcquireMany(T0 + 500_000, attempts: 5));
        Assert.False(driver.Acquire(T0 + 999_999).Allowed);

        var next = driver.Acquire(T0 + 1_000_000);

        Assert.True(next.Allowed);
        Assert.Equal(5, next.Remaining);
        Assert.Equal(T0 + 1_000_000, driver.State.WindowStart);
        Assert.Equal(1, driver.State.Count);
        Assert.Equal(4, driver.AcquireMany(T0 + 1_000_001, attempts: 10));
    }

    /// <summary>The documented weakness of fixed windows (DESIGN.md section 3): up to 2x the limit across a boundary.</summary>
    [Fact]
    public void Evaluate_LimitAtLastMicrosecondOfWindowThenLimitAtStartOfNext_AdmitsTwiceTheLimitWithinTwoMicroseconds()
    {
        var driver = new RuleDriver(Rules.Fixed(100, OneSecond));

        var endOfWindow = driver.AcquireMany(T0 + 999_999, attempts: 100);
        var startOfNext = driver.AcquireMany(T0 + 1_000_000, attempts: 100);

        Assert.Equal(100, endOfWindow);
        Assert.Equal(100, startOfNext);
        Assert.Equal(200, endOfWindow + startOfNext);
        Assert.False(driver.Acquire(T0 + 1_000_000).Allowed);
    }

    [Fact]
    public void Evaluate_Denied_RetryAfterIsExactlyTheTimeToWindowEnd()
    {
        var driver = new RuleDriver(Rules.Fixed(5, OneSecond));
        driver.AcquireMany(T0 + 250_000, attempts: 5);

        var denied = driver.Acquire(T0 + 400_000);

        Assert.False(denied.Allowed);
        Assert.Equal(0, denied.Remaining);
        Assert.Equal(600_000, denied.RetryAfter);
        Assert.Equal(600_000, denied.ResetAfter);
        Assert.False(driver.Peek(T0 + 400_000 + denied.RetryAfter - 1).Allowed);
        Assert.True(driver.Peek(T0 + 400_000 + denied.RetryAfter).Allowed);
    }

    [Fact]
    public void Evaluate_Allowed_RetryAfterIsZeroAndResetAfterIsTimeToWindowEnd()
    {
        var driver = new RuleDriver(Rules.Fixed(5, TimeSpan.FromMinutes(1)));

        var allowed = driver.Acquire(T0 + (59 * MicrosPerSecond) + 250_000);

        Assert.True(allowed.Allowed);
        Assert.Equal(0, allowed.RetryAfter);
        Assert.Equal(750_000, allowed.ResetAfter);
        Assert.Equal(T0 + MicrosPerMinute, allowed.NextStateExpiresAt);
    }

    [Fact]
    public void Evaluate_WindowsAreAlignedToTheEpoch_WindowStartIsNowRoundedDown()
    {
        var driver = new RuleDriver(Rules.Fixed(5, TimeSpan.FromHours(1)));

        driver.Acquire(T0 + (3 * MicrosPerHour) + (17 * MicrosPerMinute));

        Assert.Equal(T0 + (3 * MicrosPerHour), driver.State.WindowStart);
    }

    [Fact]
    public void Evaluate_Denied_NextStateKeepsTheCount()
    {
        var driver = new RuleDriver(Rules.Fixed(2, OneSecond));
        driver.AcquireMany(T0, attempts: 2);

        var denied = driver.Peek(T0 + 1);

        Assert.False(denied.Allowed);
        Assert.Equal(2, denied.NextState.Count);
    }

    [Fact]
    public void Evaluate_CostGreaterThanOne_TakesThatManyPermits()
    {
        var driver = new RuleDriver(Rules.Fixed(5, OneSecond));

        Assert.True(driver.Acquire(T0, cost: 3).Allowed);
        var tooMuch = driver.Acquire(T0, cost: 3);
        var fits = driver.Acquire(T0, cost: 2);

        Assert.False(tooMuch.Allowed);
        Assert.Equal(2, tooMuch.Remaining);
        Assert.True(fits.Allowed);
        Assert.Equal(5, driver.State.Count);
    }

    [Fact]
    public void Evaluate_CostAboveLimit_IsNeverAdmittedAndRetryAfterIsWindowEnd()
    {
        var driver = new RuleDriver(Rules.Fixed(5, OneSecond));

        var fresh = driver.Acquire(T0 + 300_000, cost: 6);

        Assert.False(fresh.Allowed);
        Assert.Equal(5, fresh.Remaining);
        Assert.Equal(700_000, fresh.RetryAfter);
        Assert.False(driver.Acquire(T0 + 1_000_000, cost: 6).Allowed);
    }

    [Fact]
    public void Evaluate_StateFromAnOlderWindow_IsIgnored()
    {
        var driver = new RuleDriver(Rules.Fixed(5, OneSecond));
        driver.AcquireMany(T0, attempts: 5);

        var later = driver.Acquire(T0 + (7 * MicrosPerSecond) + 5);

        Assert.True(later.Allowed);
        Assert.Equal(5, later.Remaining);
    }

    [Fact]
    public void Evaluate_TimeBeforeTheEpoch_StillAlignsWindowsDownwards()
    {
        var driver = new RuleDriver(Rules.Fixed(1, OneSecond));

        var evaluation = driver.Acquire(-1);

        Assert.True(evaluation.Allowed);
        Assert.Equal(-MicrosPerSecond, driver.State.WindowStart);
        Assert.Equal(1, evaluation.ResetAfter);
    }

    [Fact]
    public void Evaluate_AnyDeniedState_AdmitsAtNowPlusRetryAfterAndNotOneMicrosecondEarlier()
    {
        var random = new Random(20231209);
        var checkedDenials = 0;
        foreach (var window in new[] { TimeSpan.FromMilliseconds(250), OneSecond, TimeSpan.FromSeconds(90), TimeSpan.FromHours(1) })
        {
            for (var run = 0; run < 50; run++)
            {
                var limit = random.Next(1, 20);
                var driver = new RuleDriver(Rules.Fixed(limit, window));
                var windowMicros = driver.Rule.WindowMicroseconds;
                var now = T0 + random.NextInt64(windowMicros * 3);
                for (var step = 0; step < 60; step++)
                {
                    now += random.NextInt64(windowMicros / 10);
                    var cost = random.Next(1, limit + 1);
                    var evaluation = driver.Acquire(now, cost);
                    if (evaluation.Allowed)
                    {
                        continue;
                    }

                    checkedDenials++;
                    driver.AssertRetryAfterIsExact(now, evaluation, cost);
                }
            }
        }

        Assert.True(checkedDenials > 100, $"only {checkedDenials} denials were checked");
    }
}
