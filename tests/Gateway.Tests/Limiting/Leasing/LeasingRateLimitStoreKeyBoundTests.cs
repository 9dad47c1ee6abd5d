using Gateway.Limiting.Storage;
using static Gateway.Tests.Support.Time;

namespace Gateway.Tests.Limiting.Leasing;

/// <summary>The lease table's bound: a flood of keys costs bounded memory and strands no quota.</summary>
public sealed class LeasingRateLimitStoreKeyBoundTests
{
    private static string KeyOf(int i) => $"p|u:{i}";

    [Fact]
    public void AcquireAsync_1000KeysWithMaxKeys100_StaysBoundedAndGivesEvictedLeasesBack()
    {
        const int maxKeys = 100;
        const int keys = 1_000;
        using var rig = new LeaseRig(limit: 1_000, maxLeaseSize: 10, maxKeys: maxKeys);
        var highest = 0;
        var held = new long[keys];

        for (var i = 0; i < keys; i++)
        {
            // Two requests: the second takes a batch, so every key holds unused permits.
            Assert.Equal(2, rig.AcquireMany(2, key: KeyOf(i)));
            held[i] = rig.HeldPermits(KeyOf(i));
            Assert.True(held[i] > 0);
            highest = Math.Max(highest, rig.Store.PartitionCount);
            rig.Clock.AdvanceMicros(100); // distinct last-use times: eviction order is then defined
        }

        Assert.InRange(highest, maxKeys - (maxKeys / 10), maxKeys);
        var evicted = Enumerable.Range(0, keys).Where(i => rig.HeldPermits(KeyOf(i)) == 0).ToList();
        Assert.InRange(evicted.Count, keys - maxKeys, keys - (maxKeys - (maxKeys / 10)));
        // Least recently used first: the survivors are the newest keys.
        Assert.Equal(Enumerable.Range(0, evicted.Count), evicted);
        Assert.Equal(held[keys - 1], rig.HeldPermits(KeyOf(keys - 1)));

        var releases = rig.Source.Releases;
        Assert.Equal(evicted.Select(KeyOf), releases.Select(r => r.PartitionKey));
        Assert.Equal(evicted.Select(i => held[i]), releases.Select(r => r.Count));
        Assert.All(releases, r => Assert.True(r.LastLease));
        for (var i = 0; i < keys; i++)
        {
            Assert.Equal(2 + rig.HeldPermits(KeyOf(i)), rig.Source.Count(KeyOf(i)));
        }
    }

    /// <summary>
    /// A request for a key arrives while the eviction that drops it is giving its lease back (here: on another
    /// thread, at the moment the source receives the release). Afterwards the table must still count its keys
    /// exactly; once every key has gone idle and been swept, it must count none.
    /// </summary>
    [Fact]
    public void AcquireAsync_RequestForAKeyBeingEvicted_KeepsPartitionCountExact()
    {
        const int maxKeys = 10;
        using var rig = new LeaseRig(limit: 1_000, maxLeaseSize: 10, maxKeys: maxKeys);
        for (var i = 0; i < maxKeys; i++)
        {
            rig.AcquireMany(2, key: KeyOf(i));
            rig.Clock.AdvanceMicros(100);
        }

        var raced = 0;
        Task<RateLimitDecision>? racing = null;
        rig.Source.OnRelease = release =>
        {
            if (release.PartitionKey != KeyOf(0) || Interlocked.Exchange(ref raced, 1) != 0)
            {
                return;
            }

            // Only the call runs there; the test thread checks its outcome.
            var racer = new Thread(() => racing = rig.AcquireAsync(key: KeyOf(0)).AsTask());
            racer.Start();
            racer.Join();
        };

        // The eleventh key overflows the table: the oldest keys, key 0 first, are evicted.
        rig.AcquireMany(2, key: KeyOf(maxKeys));
        Assert.Equal(1, raced);
        Assert.True(racing is { IsCompletedSuccessfully: true, Result.Allowed: true });

        // Everything goes idle; the sweep drops every key. The count must follow.
        rig.Clock.AdvanceMicros(10 * MicrosPerMinute);
        rig.Store.Sweep();
        rig.Store.Sweep();

        Assert.Equal(0, rig.Store.PartitionCount);
    }

    [Fact]
    public void AcquireAsync_EvictedKeyComesBack_IsServedCold()
    {
        using var rig = new LeaseRig(limit: 1_000, maxLeaseSize: 10, maxKeys: 10);
        for (var i = 0; i <= 10; i++)
        {
            rig.AcquireMany(2, key: KeyOf(i));
            rig.Clock.AdvanceMicros(100);
        }

        Assert.Equal(0, rig.HeldPermits(KeyOf(0)));

        // An evicted key comes back cold and is served again.
        Assert.True(rig.Acquire(key: KeyOf(0)).Allowed);
        Assert.Equal(1, rig.Source.GrantRequests[^1].Want);
        Assert.Equal(3 + rig.HeldPermits(KeyOf(0)), rig.Source.Count(KeyOf(0)));
    }
}
