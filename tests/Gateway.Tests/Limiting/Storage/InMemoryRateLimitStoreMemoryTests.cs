using Gateway.Tests.Support;
using static Gateway.Tests.Support.Time;

namespace Gateway.Tests.Limiting.Storage;

/// <summary>The store's memory bound: a flood of distinct subjects must not grow it past MaxPartitions.</summary>
public sealed class InMemoryRateLimitStoreMemoryTests
{
    private const int MaxPartitions = 1_000;
    private const int DistinctKeys = 20_000;

    [Fact]
    public void AcquireAsync_20000DistinctKeysWithBound1000_NeverHoldsMoreThanTheBound()
    {
        var clock = ClockAt(T0);
        using var store = StoreFactory.Create(clock, MaxPartitions);
        var rules = Rules.Set(Rules.Fixed(5, TimeSpan.FromMinutes(1)));
        var highest = 0;

        for (var i = 0; i < DistinctKeys; i++)
        {
            Assert.True(store.Acquire($"p|u:{i}", rules).Allowed);
            highest = Math.Max(highest, store.PartitionCount);
        }

        Assert.Equal(MaxPartitions, highest);
        Assert.InRange(store.PartitionCount, MaxPartitions - (MaxPartitions / 10), MaxPartitions);
    }

    /// <summary>
    /// 64 threads adding partitions as fast as they can must not outrun the eviction: the bound may be overshot only
    /// by the threads in flight, never by what they add while one of them trims.
    /// </summary>
    [Fact]
    public async Task AcquireAsync_20000DistinctKeysFrom64ParallelWorkers_NeverHoldsMoreThanTheBoundPlusTheWorkers()
    {
        const int workers = 64;
        var clock = ClockAt(T0);
        using var store = StoreFactory.Create(clock, MaxPartitions);
        var rules = Rules.Set(Rules.Fixed(5, TimeSpan.FromMinutes(1)));
        var next = -1;
        var highest = 0;
        using var start = new Barrier(workers);
        var tasks = Enumerable.Range(0, workers).Select(_ => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait();
                int i;
                while ((i = Interlocked.Increment(ref next)) < DistinctKeys)
                {
                    store.Acquire($"p|u:{i}", rules);
                    var count = store.PartitionCount;
                    int seen;
                    while (count > (seen = Volatile.Read(ref highest)) && Interlocked.CompareExchange(ref highest, count, seen) != seen)
                    {
                    }
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)).ToArray();
        await Task.WhenAll(tasks);

        Assert.InRange(highest, 1, MaxPartitions + workers);
        Assert.InRange(store.PartitionCount, MaxPartitions - (MaxPartitions / 10), MaxPartitions + workers);
    }

    [Fact]
    public void AcquireAsync_OverTheBound_EvictsThePartitionsClosestToExpiryFirst()
    {
        var clock = ClockAt(T0);
        using var store = StoreFactory.Create(clock, maxPartitions: 10);
        var hourly = Rules.Set(Rules.Fixed(5, TimeSpan.FromHours(1)));
        var perSecond = Rules.Set(Rules.Fixed(5, TimeSpan.FromSeconds(1)));
        for (var i = 0; i < 5; i++)
        {
            store.Acquire($"p|long{i}", hourly);
            store.Acquire($"p|short{i}", perSecond);
        }

        store.Acquire("p|long5", hourly);

        // Back to 90% of the bound: two of the short-lived partitions went, every hourly one kept its count.
        Assert.Equal(9, store.PartitionCount);
        for (var i = 0; i <= 5; i++)
        {
            Assert.Equal(4, store.Peek($"p|long{i}", hourly).Results[0].Remaining);
        }
    }

    [Fact]
    public void AcquireAsync_OverTheBoundWithExpiredPartitions_DropsExpiredOnesBeforeLiveOnes()
    {
        var clock = ClockAt(T0);
        using var store = StoreFactory.Create(clock, maxPartitions: 10);
        var hourly = Rules.Set(Rules.Fixed(5, TimeSpan.FromHours(1)));
        var perSecond = Rules.Set(Rules.Fixed(5, TimeSpan.FromSeconds(1)));
        for (var i = 0; i < 5; i++)
        {
            store.Acquire($"p|long{i}", hourly);
            store.Acquire($"p|short{i}", perSecond);
        }

        clock.AdvanceMicros(2 * MicrosPerSecond); // short ones expired; the 10 s sweep timer has not fired
        store.Acquire("p|long5", hourly);

        Assert.Equal(6, store.PartitionCount);
    }

    [Fact]
    public void SweepExpired_AfterEveryWindowHasPassed_DropsEveryPartition()
    {
        var clock = ClockAt(T0);
        using var store = StoreFactory.Create(clock, MaxPartitions);
        var rules = Rules.Set(Rules.Fixed(5, TimeSpan.FromSeconds(1)), Rules.Sliding(5, TimeSpan.FromSeconds(2), "p-2s"));
        for (var i = 0; i < DistinctKeys; i++)
        {
            store.Acquire($"p|u:{i}", rules);
        }

        Assert.InRange(store.PartitionCount, 1, MaxPartitions);

        clock.AdvanceMicros(4 * MicrosPerSecond); // past the sliding rule's two windows, short of the 10 s sweep timer
        Assert.NotEqual(0, store.PartitionCount);
        store.SweepExpired();

        Assert.Equal(0, store.PartitionCount);
    }

    [Fact]
    public void SweepExpired_BeforeCountersExpire_KeepsPartitionsAndTheirCounts()
    {
        var clock = ClockAt(T0);
        using var store = StoreFactory.Create(clock);
        var rules = Rules.Set(Rules.Fixed(5, TimeSpan.FromSeconds(1)));
        store.AcquireMany("p|alice", rules, attempts: 3);

        clock.AdvanceMicros(999_999);
        store.SweepExpired();

        Assert.Equal(1, store.PartitionCount);
        Assert.Equal(2, store.Peek("p|alice", rules).Results[0].Remaining);
    }

    [Fact]
    public void SweepExpired_TokenBucketRefilledToFull_DropsThePartition()
    {
        var clock = ClockAt(T0);
        using var store = StoreFactory.Create(clock);
        var rules = Rules.Set(Rules.Bucket(5, TimeSpan.FromSeconds(1), burst: 10));
        store.AcquireMany("p|alice", rules, attempts: 4);

        clock.AdvanceMicros(799_999);
        store.SweepExpired();
        Assert.Equal(1, store.PartitionCount);

        clock.AdvanceMicros(1);
        store.SweepExpired();
        Assert.Equal(0, store.PartitionCount);
    }

    [Fact]
    public void Constructor_TenSecondsPassOnTheClock_SweepTimerDropsExpiredPartitions()
    {
        var clock = ClockAt(T0);
        using var store = StoreFactory.Create(clock);
        var rules = Rules.Set(Rules.Fixed(5, TimeSpan.FromSeconds(1)));
        for (var i = 0; i < 50; i++)
        {
            store.Acquire($"p|u:{i}", rules);
        }

        clock.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(0, store.PartitionCount);
    }

    [Fact]
    public void AcquireAsync_PeekOnUnknownKey_LeavesNothingBehindAfterASweep()
    {
        var clock = ClockAt(T0);
        using var store = StoreFactory.Create(clock);
        var rules = Rules.Set(Rules.Fixed(5, TimeSpan.FromSeconds(1)));

        store.Peek("p|nobody", rules);
        store.SweepExpired();

        Assert.Equal(0, store.PartitionCount);
    }

    [Fact]
    public void AcquireAsync_AfterSweep_StartsTheKeyAfresh()
    {
        var clock = ClockAt(T0);
        using var store = StoreFactory.Create(clock);
        var rules = Rules.Set(Rules.Fixed(5, TimeSpan.FromSeconds(1)));
        store.AcquireMany("p|alice", rules, attempts: 5);

        clock.AdvanceMicros(MicrosPerSecond);
        store.SweepExpired();

        Assert.Equal(5, store.AcquireMany("p|alice", rules, attempts: 10));
        Assert.Equal(1, store.PartitionCount);
    }
}
