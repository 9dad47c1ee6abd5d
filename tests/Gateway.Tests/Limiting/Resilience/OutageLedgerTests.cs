using Gateway.Limiting.Policies;
using Gateway.Limiting.Resilience;
using Gateway.Tests.Support;

namespace Gateway.Tests.Limiting.Resilience;

/// <summary>Permits admitted on local fallback, kept per key until the store is back to count them.</summary>
public sealed class OutageLedgerTests
{
    private static readonly RuleSet RulesA = Rules.Set(Rules.Fixed(10, TimeSpan.FromSeconds(1)));
    private static readonly RuleSet RulesB = Rules.Set(Rules.Fixed(10, TimeSpan.FromSeconds(1)));

    [Fact]
    public void Record_SameKeyAndRules_SumsThePermits()
    {
        var ledger = new OutageLedger();

        ledger.Record("p|alice", RulesA, cost: 1, now: 100);
        ledger.Record("p|alice", RulesA, cost: 4, now: 200);
        ledger.Record("p|alice", RulesA, cost: 2, now: 300);

        var entry = Assert.Single(ledger.Drain());
        Assert.Equal(("p|alice", RulesA, 7L), (entry.PartitionKey, entry.Rules, entry.Permits));
        // The first admission dates the entry: windows open since then get the permits.
        Assert.Equal(100, entry.Since);
    }

    [Fact]
    public void Record_DifferentPartitionsOrRuleSets_CountsEachSeparately()
    {
        var ledger = new OutageLedger();

        ledger.Record("p|alice", RulesA, 1, 100);
        ledger.Record("p|bob", RulesA, 2, 100);
        // Equal contents, another object (a reload): its permits go to the store under its own rules.
        ledger.Record("p|alice", RulesB, 3, 100);

        Assert.Equal(3, ledger.Count);
        var drained = ledger.Drain();
        Assert.Equal(1, drained.Single(e => e.PartitionKey == "p|alice" && ReferenceEquals(e.Rules, RulesA)).Permits);
        Assert.Equal(2, drained.Single(e => e.PartitionKey == "p|bob").Permits);
        Assert.Equal(3, drained.Single(e => e.PartitionKey == "p|alice" && ReferenceEquals(e.Rules, RulesB)).Permits);
    }

    [Fact]
    public void Drain_AfterRecords_ReturnsEveryEntryAndEmptiesTheLedger()
    {
        var ledger = new OutageLedger();
        for (var i = 0; i < 10; i++)
        {
            ledger.Record($"p|u{i}", RulesA, i + 1, 100);
        }

        var drained = ledger.Drain();

        Assert.Equal(10, drained.Count);
        Assert.Equal(55, drained.Sum(static e => e.Permits));
        Assert.Equal(0, ledger.Count);
        // Drained permits go to the store once: a second reconciliation finds nothing.
        Assert.Empty(ledger.Drain());
    }

    [Fact]
    public void Record_AfterDrain_StartsAFreshEntry()
    {
        var ledger = new OutageLedger();
        ledger.Record("p|alice", RulesA, 5, 100);
        ledger.Drain();

        ledger.Record("p|alice", RulesA, 2, 900);

        var entry = Assert.Single(ledger.Drain());
        Assert.Equal(2, entry.Permits);
        Assert.Equal(900, entry.Since);
    }

    [Fact]
    public void Record_AtMaxKeys_DropsNewKeysButStillCountsExistingOnes()
    {
        var ledger = new OutageLedger();
        for (var i = 0; i < OutageLedger.MaxKeys; i++)
        {
            ledger.Record($"p|u{i}", RulesA, 1, 100);
        }

        ledger.Record("p|newcomer", RulesA, 1, 200);
        ledger.Record("p|u0", RulesA, 9, 200);

        // A flood of subjects cannot grow the ledger without bound; the quota of those past it is forgotten, while
        // keys already in the ledger keep counting.
        Assert.Equal(OutageLedger.MaxKeys, ledger.Count);
        var drained = ledger.Drain();
        Assert.DoesNotContain(drained, static e => e.PartitionKey == "p|newcomer");
        Assert.Equal(10, drained.Single(static e => e.PartitionKey == "p|u0").Permits);
        Assert.Equal(OutageLedger.MaxKeys + 9L, drained.Sum(static e => e.Permits));
    }

    [Fact]
    public void Record_ManyThreadsOnOneKey_LosesNoPermit()
    {
        const int Threads = 8;
        const int RecordsPerThread = 10_000;
        var ledger = new OutageLedger();
        using var start = new Barrier(Threads);

        var threads = Enumerable.Range(0, Threads).Select(_ => new Thread(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < RecordsPerThread; i++)
            {
                ledger.Record("p|alice", RulesA, 1, 100);
            }
        })).ToList();
        threads.ForEach(static t => t.Start());
        threads.ForEach(static t => t.Join());

        // Racing first admissions create one entry, not one per thread, and every permit lands in it.
        var entry = Assert.Single(ledger.Drain());
        Assert.Equal((long)Threads * RecordsPerThread, entry.Permits);
    }
}
