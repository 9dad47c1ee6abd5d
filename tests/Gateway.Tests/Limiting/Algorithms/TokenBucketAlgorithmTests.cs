using Gateway.Limiting.Algorithms;
using Gateway.Tests.Support;
using static Gateway.Tests.Support.Time;

namespace Gateway.Tests.Limiting.Algorithms;

public sealed class TokenBucketAlgorithmTests
{
    private static readonly TimeSpan OneSecond = TimeSpan.FromSeconds(1);

    /// <summary>5 per second, burst 10: one token every 200 ms.</summary>
    private static RuleDriver FivePerSecondBurstTen() => new(Rules.Bucket(5, OneSecond, burst: 10));

    [Fact]
    public void Evaluate_FreshBucket_AdmitsExactlyBurstAtOnceThenDenies()
    {
        var driver = FivePerSecondBurstTen();

        Assert.Equal(10, driver.AcquireMany(T0, attempts: 30));
        Assert.Equal(0, driver.State.Tokens, precision: 9);
    }

    [Fact]
    public void Evaluate_200MillisecondsAfterEmptying_AdmitsExactlyOneMore()
    {
        var driver = FivePerSecondBurstTen();
        driver.AcquireMany(T0, attempts: 10);

        Assert.Equal(0, driver.AcquireMany(T0 + 199_999, attempts: 5));
        Assert.Equal(1, driver.AcquireMany(T0 + 200_000, attempts: 5));
    }

    [Fact]
    public void Evaluate_OneSecondAfterEmptying_AdmitsExactlyLimit()
    {
        var driver = FivePerSecondBurstTen();
        driver.AcquireMany(T0, attempts: 10);

        Assert.Equal(5, driver.AcquireMany(T0 + MicrosPerSecond, attempts: 20));
    }

    [Fact]
    public void Evaluate_RefillIsContinuous_HalfATokenIsNotYetAPermit()
    {
        var driver = FivePerSecondBurstTen();
        driver.AcquireMany(T0, attempts: 10);

        var halfToken = driver.Peek(T0 + 100_000);

        Assert.False(halfToken.Allowed);
        Assert.Equal(0, halfToken.Remaining);
        Assert.Equal(100_000, halfToken.RetryAfter);
    }

    [Fact]
    public void Evaluate_SustainedRequestsEvery200Milliseconds_AreAllAdmitted()
    {
        var driver = FivePerSecondBurstTen();
        driver.AcquireMany(T0, attempts: 10);

        var admitted = Enumerable.Range(1, 50).Count(i => driver.Acquire(T0 + (i * 200_000)).Allowed);

        Assert.Equal(50, admitted);
        Assert.False(driver.Acquire(T0 + (50 * 200_000)).Allowed);
    }

    [Fact]
    public void Evaluate_AfterALongIdle_NeverHoldsMoreThanBurst()
    {
        var driver = FivePerSecondBurstTen();
        driver.AcquireMany(T0, attempts: 10);

        var later = T0 + MicrosPerHour;
        var peek = driver.Peek(later);

        Assert.Equal(10, peek.Remaining);
        Assert.Equal(0, peek.ResetAfter);
        Assert.Equal(10, driver.AcquireMany(later, attempts: 30));
    }

    [Fact]
    public void Evaluate_Emptied_RetryAfterIsExactlyOneTokenInterval()
    {
        var driver = FivePerSecondBurstTen();
        driver.AcquireMany(T0, attempts: 10);

        var denied = driver.Acquire(T0);

        Assert.False(denied.Allowed);
        Assert.Equal(200_000, denied.RetryAfter);
        Assert.Equal(2_000_000, denied.ResetAfter);
        Assert.False(driver.Peek(T0 + 199_999).Allowed);
        Assert.True(driver.Peek(T0 + 200_000).Allowed);
    }

    [Fact]
    public void Evaluate_DeniedCostOfThree_RetryAfterWaitsForThreeTokens()
    {
        var driver = FivePerSecondBurstTen();
        driver.AcquireMany(T0, attempts: 10);

        var denied = driver.Acquire(T0 + 50_000, cost: 3);

        // 0.25 tokens at hand; 2.75 more take 550 ms.
        Assert.Equal(550_000, denied.RetryAfter);
        Assert.False(driver.Peek(T0 + 50_000 + 549_999, cost: 3).Allowed);
        Assert.True(driver.Peek(T0 + 50_000 + 550_000, cost: 3).Allowed);
    }

    [Fact]
    public void Evaluate_CostAboveBurst_IsNeverAdmittedAndRetryAfterIsTimeToFull()
    {
        var driver = FivePerSecondBurstTen();

        var full = driver.Acquire(T0, cost: 11);
        driver.AcquireMany(T0, attempts: 4);
        var partial = driver.Acquire(T0, cost: 11);
        var muchLater = driver.Acquire(T0 + MicrosPerDay, cost: 11);

        Assert.False(full.Allowed);
        Assert.Equal(0, full.RetryAfter);
        Assert.False(partial.Allowed);
        Assert.Equal(800_000, partial.RetryAfter);
        Assert.False(muchLater.Allowed);
        Assert.Equal(6, driver.AcquireMany(T0, attempts: 10));
    }

    [Fact]
    public void Evaluate_Allowed_ReportsTokensBeforeTheRequestAndTimeToFull()
    {
        var driver = FivePerSecondBurstTen();
        driver.AcquireMany(T0, attempts: 3);

        var evaluation = driver.Acquire(T0 + 100_000);

        // 7 + 0.5 tokens before; 6.5 after, so 3.5 tokens (700 ms) until full.
        Assert.True(evaluation.Allowed);
        Assert.Equal(7, evaluation.Remaining);
        Assert.Equal(500_000, evaluation.ResetAfter);
        Assert.Equal(T0 + 100_000 + 700_000, evaluation.NextStateExpiresAt);
        Assert.Equal(6.5, driver.State.Tokens, precision: 9);
        Assert.Equal(T0 + 100_000, driver.State.WindowStart);
    }

    [Fact]
    public void Evaluate_ClockStepsBack_NoTokensAreMintedOrBurnt()
    {
        var driver = FivePerSecondBurstTen();
        driver.AcquireMany(T0 + MicrosPerSecond, attempts: 9);

        var earlier = driver.Peek(T0, cost: 2);

        Assert.False(earlier.Allowed);
        Assert.Equal(1, earlier.Remaining);
        Assert.Equal(1, driver.AcquireMany(T0, attempts: 5));
    }

    [Fact]
    public void Evaluate_ClockSteppedBackBehindLastRefill_RetryAfterCountsFromTheLastRefill()
    {
        var driver = FivePerSecondBurstTen();
        driver.AcquireMany(T0 + MicrosPerHour, attempts: 10);

        var earlier = driver.Peek(T0);

        // Nothing refills until the clock is back at the last refill, an hour on; one token takes 200 ms more.
        Assert.Equal(MicrosPerHour + 200_000, earlier.RetryAfter);
        Assert.False(driver.Peek(T0 + earlier.RetryAfter - 1).Allowed);
        Assert.True(driver.Peek(T0 + earlier.RetryAfter).Allowed);
    }

    [Fact]
    public void Evaluate_BurstBelowLimit_CapsTheBucketAtBurst()
    {
        var driver = new RuleDriver(Rules.Bucket(10, OneSecond, burst: 1));

        Assert.Equal(1, driver.AcquireMany(T0, attempts: 5));
        Assert.Equal(1, driver.AcquireMany(T0 + MicrosPerSecond, attempts: 5));
        Assert.Equal(0, driver.AcquireMany(T0 + MicrosPerSecond + 99_999, attempts: 5));
        Assert.Equal(1, driver.AcquireMany(T0 + MicrosPerSecond + 100_000, attempts: 5));
    }

    [Fact]
    public void Evaluate_AnyDeniedState_AdmitsAtNowPlusRetryAfterAndNotOneMicrosecondEarlier()
    {
        var random = new Random(42);
        var checkedDenials = 0;
        foreach (var window in new[] { TimeSpan.FromMilliseconds(250), OneSecond, TimeSpan.FromSeconds(90), TimeSpan.FromMinutes(1) })
        {
            for (var run = 0; run < 60; run++)
            {
                var limit = random.Next(1, 40);
                var burst = random.Next(1, 60);
                var driver = new RuleDriver(Rules.Bucket(limit, window, burst));
                var windowMicros = driver.Rule.WindowMicroseconds;
                var now = T0 + random.NextInt64(windowMicros);
                for (var step = 0; step < 80; step++)
                {
                    now += random.NextInt64(windowMicros / limit / 2);
                    var cost = random.Next(1, burst + 1);
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

        Assert.True(checkedDenials > 500, $"only {checkedDenials} denials were checked");
    }

    [Fact]
    public void Evaluate_AnyDeniedStateUnderLongWindows_AdmitsAtNowPlusRetryAfterAndNotOneMicrosecondEarlier()
    {
        var random = new Random(5);
        var checkedDenials = 0;
        foreach (var window in new[] { TimeSpan.FromHours(1), TimeSpan.FromDays(1) })
        {
            for (var run = 0; run < 40; run++)
            {
                var limit = random.Next(1, 1000);
                var burst = random.Next(1, 100);
                var driver = new RuleDriver(Rules.Bucket(limit, window, burst));
                var interval = driver.Rule.WindowMicroseconds / limit;
                var now = T0 + random.NextInt64(driver.Rule.WindowMicroseconds);
                for (var step = 0; step < 80; step++)
                {
                    now += random.NextInt64(interval);
                    var cost = random.Next(1, burst + 1);
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
