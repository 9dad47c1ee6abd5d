using Gateway.Limiting.Resilience;
using Gateway.Tests.Support;

namespace Gateway.Tests.Limiting.Resilience;

/// <summary>
/// The ledger of fallback admissions: kept per key, rule set and window, absorbed by late answers, drained for
/// reconciliation without losing a permit to a racing record.
/// </summary>
public sealed class FallbackLedgerTests
{
    private const long Minute = 60_000_000;

    /// <summary>A Redis time at the start of a minute.</summary>
    private const long T0 = 1_900_000_000L * 1_000_000 / Minute * Minute;

    private static readonly Gateway.Limiting.Policies.RuleSet PerMinute = Rules.Set(Rules.Fixed(100, TimeSpan.FromMinutes(1)));

    [Fact]
    public void Record_SameKeyRulesAndWindow_SumsIntoOneCell()
    {
        var ledger = new FallbackLedger();

        ledger.Record("p|a", PerMinute, 2, T0 + 1_000_000);
        ledger.Record("p|a", PerMinute, 3, T0 + 30_000_000);

        var entry = Assert.Single(ledger.Drain());
        Assert.Equal(5, entry.Permits);
        Assert.Equal(T0 + 1_000_000, entry.At);
        Assert.Equal(0, ledger.Count);
    }

    [Fact]
    public void Record_AcrossAWindowBoundary_KeepsEachWindowApart()
    {
        var ledger = new FallbackLedger();

        ledger.Record("p|a", PerMinute, 4, T0 + 50_000_000);
        ledger.Record("p|a", PerMinute, 6, T0 + Minute + 5_000_000);

        // Each window is charged with what was admitted in it, not the sum with the first admission's time.
        var entries = ledger.Drain().OrderBy(static e => e.At).ToList();
        Assert.Equal([4L, 6L], entries.Select(static e => e.Permits));
        Assert.Equal([T0 + 50_000_000, T0 + Minute + 5_000_000], entries.Select(static e => e.At));
        Assert.Equal([T0 + Minute, T0 + (2 * Minute)], entries.Select(static e => e.RelevantUntil));
    }

    [Fact]
    public void Record_DifferentPartitionsOrRuleSets_CountsEachSeparately()
    {
        var ledger = new FallbackLedger();
        var otherRules = Rules.Set(Rules.Fixed(100, TimeSpan.FromMinutes(1)));

        ledger.Record("p|a", PerMinute, 1, T0);
        ledger.Record("p|b", PerMinute, 1, T0);
        ledger.Record("p|a", otherRules, 1, T0);

        Assert.Equal(3, ledger.Count);
        Assert.Equal(3, ledger.PendingPermits);
    }

    [Fact]
    public void Absorb_TakesFromTheGrantsWindowOnly_UpToWhatWasGranted()
    {
        var ledger = new FallbackLedger();
        ledger.Record("p|a", PerMinute, 5, T0 + 10_000_000);
        ledger.Record("p|a", PerMinute, 7, T0 + Minute + 10_000_000);

        var fromFirst = ledger.Absorb("p|a", PerMinute, T0 + 40_000_000, granted: 3);
        var fromSecond = ledger.Absorb("p|a", PerMinute, T0 + Minute + 1, granted: 20);
        var fromNone = ledger.Absorb("p|a", PerMinute, T0 + (2 * Minute), granted: 20);

        Assert.Equal(3, fromFirst);
        Assert.Equal(7, fromSecond);
        Assert.Equal(0, fromNone);
        var left = Assert.Single(ledger.Drain(), static e => e.Permits > 0);
        Assert.Equal(2, left.Permits);
    }

    [Fact]
    public void Forget_NeverBelowZeroAndNeverCreatesACell()
    {
        var ledger = new FallbackLedger();
        ledger.Forget("p|a", PerMinute, 3, T0);
        Assert.Equal(0, ledger.Count);

        ledger.Record("p|a", PerMinute, 2, T0);
        ledger.Forget("p|a", PerMinute, 5, T0 + 1);

        Assert.Empty(ledger.Drain());
    }

    [Fact]
    public void Record_AfterDrain_StartsAFreshCell()
    {
        var ledger = new FallbackLedger();
        ledger.Record("p|a", PerMinute, 2, T0);
        Assert.Single(ledger.Drain());

        ledger.Record("p|a", PerMinute, 1, T0 + 1);

        Assert.Equal(1, Assert.Single(ledger.Drain()).Permits);
    }

    [Fact]
    public void Restore_PutsAFailedEntryBackForTheNextRound()
    {
        var ledger = new FallbackLedger();
        ledger.Record("p|a", PerMinute, 4, T0 + 5);
        var entry = Assert.Single(ledger.Drain());

        ledger.Restore(entry);
        ledger.Record("p|a", PerMinute, 1, T0 + 6);

        var again = Assert.Single(ledger.Drain());
        Assert.Equal(5, again.Permits);
        Assert.Equal(T0 + 5, again.At);
    }

    [Fact]
    public void Prune_DropsOnlyCellsWhoseWindowsNoLongerMatter()
    {
        var ledger = new FallbackLedger();
        var sliding = Rules.Set(Rules.Sliding(100, TimeSpan.FromMinutes(1)));
        var bucket = Rules.Set(Rules.Bucket(10, TimeSpan.FromSeconds(1), burst: 50));
        ledger.Record("fixed", PerMinute, 1, T0 + 1);
        ledger.Record("sliding", sliding, 1, T0 + 1);
        ledger.Record("bucket", bucket, 1, T0 + 1);

        // A minute on: the fixed window closed; the sliding window still weighs it; a bucket refills 50 tokens in 5 s.
        var dropped = ledger.Prune(T0 + Minute);

        Assert.Equal(2, dropped);
        Assert.Equal("sliding", Assert.Single(ledger.Drain()).PartitionKey);
    }

    [Fact]
    public void Prune_BucketCell_LivesAsLongAsItsLatestAdmissionMatters()
    {
        var ledger = new FallbackLedger();
        // 50 tokens refilled at 10 a second: an admission matters for 5 s after it was made.
        var bucket = Rules.Set(Rules.Bucket(10, TimeSpan.FromSeconds(1), burst: 50));
        ledger.Record("bucket", bucket, 1, T0);
        ledger.Record("bucket", bucket, 1, T0 + 4_000_000);

        // 5 s after the first admission the second one still matters: the cell stays whole.
        Assert.Equal(0, ledger.Prune(T0 + 5_000_000));
        Assert.Equal(0, ledger.Prune(T0 + 8_999_999));
        Assert.Equal(2, ledger.Prune(T0 + 9_000_000));
    }

    [Fact]
    public void Clear_DropsEveryCellOfThePartitionOnly()
    {
        var ledger = new FallbackLedger();
        ledger.Record("p|a", PerMinute, 2, T0);
        ledger.Record("p|a", PerMinute, 3, T0 + Minute);
        ledger.Record("p|b", PerMinute, 4, T0);

        // The partition's counters were reset: what it admitted on fallback belongs to counters that are gone.
        ledger.Clear("p|a");

        var left = Assert.Single(ledger.Drain());
        Assert.Equal(("p|b", 4L), (left.PartitionKey, left.Permits));
    }

    [Fact]
    public void Restore_IntoAFullLedger_KeepsTheEntry()
    {
        var ledger = new FallbackLedger();
        ledger.Record("p|retried", PerMinute, 5, T0);
        var entry = Assert.Single(ledger.Drain());
        for (var i = 0; i < FallbackLedger.MaxCells; i++)
        {
            ledger.Record($"p|{i}", PerMinute, 1, T0);
        }

        // Its reconciliation failed while the ledger filled up: it was counted within the bound once, and stays.
        ledger.Restore(entry);

        Assert.Equal(0, ledger.Overflowed);
        Assert.Contains(ledger.Drain(), e => e.PartitionKey == "p|retried" && e.Permits == 5);
    }

    [Fact]
    public void Record_AtMaxCells_DropsNewCellsButStillCountsExistingOnes()
    {
        var ledger = new FallbackLedger();
        for (var i = 0; i < FallbackLedger.MaxCells; i++)
        {
            ledger.Record($"p|{i}", PerMinute, 1, T0);
        }

        ledger.Record("p|overflow", PerMinute, 3, T0);
        ledger.Record("p|0", PerMinute, 1, T0);

        Assert.Equal(FallbackLedger.MaxCells, ledger.Count);
        Assert.Equal(3, ledger.Overflowed);
        Assert.Equal(FallbackLedger.MaxCells + 1, ledger.PendingPermits);
    }

    [Fact]
    public async Task RecordDrainAndAbsorb_RacingOnOneCell_LoseAndInventNothing()
    {
        var ledger = new FallbackLedger();
        const int Writers = 4;
        const int PerWriter = 50_000;
        long drained = 0, absorbed = 0;
        using var stop = new CancellationTokenSource();

        // Writers record while a drainer and an absorber take from the same cell as fast as they can: every permit recorded
        // must end up drained, absorbed or still in the ledger, exactly once.
        var writers = Enumerable.Range(0, Writers).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < PerWriter; i++)
            {
                ledger.Record("p|hot", PerMinute, 1, T0 + i);
            }
        })).ToArray();
        var drainer = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                Interlocked.Add(ref drained, ledger.Drain().Sum(static e => e.Permits));
            }
        });
        var absorber = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                Interlocked.Add(ref absorbed, ledger.Absorb("p|hot", PerMinute, T0, 3));
            }
        });

        await Task.WhenAll(writers);
        await stop.CancelAsync();
        await Task.WhenAll(drainer, absorber);
        var left = ledger.Drain().Sum(static e => e.Permits);

        Assert.Equal(Writers * PerWriter, drained + absorbed + left);
    }
}
