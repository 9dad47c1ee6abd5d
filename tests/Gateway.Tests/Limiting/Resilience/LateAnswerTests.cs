using Gateway.Limiting.Leasing;
using Gateway.Limiting.Policies;
using Gateway.Limiting.Resilience;
using Gateway.Limiting.Storage;
using Gateway.Tests.Limiting.Leasing;
using Gateway.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Limiting.Resilience;

/// <summary>
/// A call that misses its deadline while Redis is up: the request is decided by its failure mode at once, and what the
/// call did in Redis when it answers is accounted for: its permits first pay for the fallback admissions of that key and
/// window, the rest goes back to Redis (exact mode) or serves as a lease (lease mode). Nothing counts twice, nothing
/// is stranded. Late answers are delivered on a thread without the test's synchronization context, where the
/// continuations that settle them run inline: every effect has happened when the delivery returns.
/// </summary>
public sealed class LateAnswerTests
{
    private const string Key = UnreachableRedisRig.Key;

    private static RuleSet TenPerMinute() => Rules.Set(Rules.Fixed(10, TimeSpan.FromMinutes(1)));

    [Fact]
    public async Task ExactCall_LateGrant_PaysForTheFallbackAdmissionItCausedAndReturnsNothing()
    {
        var (rig, shared, breaker) = Closed();
        using (rig)
        using (breaker)
        {
            var request = new RateLimitRequest(Key, TenPerMinute(), 2, Exact: true);

            var decision = await rig.Store.AcquireAsync(request, CancellationToken.None);
            Assert.True(decision.Allowed);
            Assert.Equal(DecisionBasis.LocalFallback, decision.Basis);
            Assert.Equal(2, rig.Ledger.PendingPermits);

            // Redis answers after all: it admitted and consumed the request's 2 permits. Those are the permits the fallback
            // admission used; reconciling it as well would count the request twice.
            await Answer(shared, Granted(2, rig));

            Assert.Equal(0, rig.Ledger.PendingPermits);
            Assert.Empty(rig.Releases.Releases);
            Assert.Equal(1, rig.Decisions.Total);
        }
    }

    [Fact]
    public async Task ExactCall_LateGrantAfterAFallbackRefusal_GivesThePermitsBack()
    {
        var (rig, shared, breaker) = Closed();
        using (rig)
        using (breaker)
        {
            var request = new RateLimitRequest(Key, TenPerMinute(), 1, Exact: true, FailureMode: FailureMode.FailClosed);

            var decision = await rig.Store.AcquireAsync(request, CancellationToken.None);
            Assert.Equal(DecisionBasis.Unavailable, decision.Basis);

            // The client was refused, but Redis took a permit: nobody will use it, so it goes back, into the window it
            // was taken in.
            var grant = Granted(1, rig);
            await Answer(shared, grant);

            var release = Assert.Single(rig.Releases.Releases);
            Assert.Equal((Key, 1L, grant.StoreTime), (release.PartitionKey, release.Count, release.GrantedAtStoreTime));
        }
    }

    [Fact]
    public async Task ExactCall_LateRefusal_LeavesTheFallbackAdmissionToReconcile()
    {
        var (rig, shared, breaker) = Closed();
        using (rig)
        using (breaker)
        {
            await rig.Store.AcquireAsync(new RateLimitRequest(Key, TenPerMinute(), 1, Exact: true), CancellationToken.None);

            await Answer(shared, new LeaseGrant(0, [new RuleResult(false, 0, 1, 1)], UnixTime.NowMicroseconds(rig.Clock), 0));

            // Redis had no room: the admission was over the limit, and reconciliation will say so in Redis's counters.
            Assert.Equal(1, rig.Ledger.PendingPermits);
            Assert.Empty(rig.Releases.Releases);
        }
    }

    [Fact]
    public async Task ExactCall_AnswerNeverComes_KeepsTheLedgerAndReturnsNothing()
    {
        var (rig, shared, breaker) = Closed();
        using (rig)
        using (breaker)
        {
            await rig.Store.AcquireAsync(new RateLimitRequest(Key, TenPerMinute(), 1, Exact: true), CancellationToken.None);

            await Task.Run(() => shared.LateAnswer!.SetException(new TimeoutException("the connection dropped")));

            Assert.Equal(1, rig.Ledger.PendingPermits);
            Assert.Empty(rig.Releases.Releases);
        }
    }

    [Fact]
    public async Task Refill_MissesItsDeadline_WaitersFailWithoutTheLateAnswer()
    {
        using var leases = new LeaseRig(absorber: new FallbackLedger());
        leases.Source.MissDeadlines = true;

        var failure = await Assert.ThrowsAnyAsync<StoreUnavailableException>(async () => await leases.AcquireAsync());

        // The refill settles its own late answer, once: a waiter that carried it would settle it again.
        Assert.IsNotType<StoreDeadlineExceededException>(failure);
    }

    [Fact]
    public void Refill_LateGrant_AbsorbsTheFallbackAdmissionsAndLeasesTheRest()
    {
        var ledger = new FallbackLedger();
        using var leases = new LeaseRig(limit: 1_000, maxLeaseSize: 100, absorber: ledger);
        leases.Warm();
        leases.Source.MissDeadlines = true;
        var calls = leases.Source.GrantCalls;

        // A hot key takes its lease down to the low watermark: the early refill starts, and misses its deadline.
        while (leases.Source.GrantCalls == calls)
        {
            Assert.True(leases.Acquire().Allowed);
        }

        var refill = leases.Source.GrantRequests[^1];
        Assert.True(refill.Want > 3, $"The refill asked for {refill.Want}: too few to show a rest leased.");
        var held = leases.HeldPermits();

        // Meanwhile requests of the key were admitted on local fallback (the resilient store records them so).
        ledger.Record(LeaseRig.Key, leases.Rules, 3, UnixTime.NowMicroseconds(leases.Clock));
        leases.Source.MissDeadlines = false;
        Assert.Equal(1, leases.Source.AnswerLateGrants());

        // The late grant paid for those 3; the rest joined the live lease.
        var grant = leases.Source.Grants[^1];
        Assert.True(grant.Granted > 3);
        Assert.Equal(0, ledger.PendingPermits);
        Assert.Equal(held + grant.Granted - 3, leases.HeldPermits());
    }

    [Fact]
    public async Task Refill_LateGrantAfterAReset_IsDropped()
    {
        var ledger = new FallbackLedger();
        using var leases = new LeaseRig(absorber: ledger);
        leases.Source.MissDeadlines = true;
        await Assert.ThrowsAnyAsync<StoreUnavailableException>(async () => await leases.AcquireAsync());

        // The key's counters were reset while the call was out: what it took belongs to counters that are gone.
        leases.Store.Invalidate(LeaseRig.Key);
        leases.Source.AnswerLateGrants();

        Assert.Equal(0, leases.HeldPermits());
    }

    private static (UnreachableRedisRig Rig, ScriptedStore Shared, StoreCircuitBreaker Breaker) Closed()
    {
        var shared = new ScriptedStore { LateAnswer = new TaskCompletionSource<LeaseGrant>() };
        var breaker = new StoreCircuitBreaker(new ScriptedProbe().InvokeAsync, TimeSpan.FromSeconds(5), BreakerSettings.Default, NullLogger<StoreCircuitBreaker>.Instance);
        return (new UnreachableRedisRig(shared: shared, breaker: breaker), shared, breaker);
    }

    private static Task Answer(ScriptedStore shared, LeaseGrant grant) => Task.Run(() => shared.LateAnswer!.SetResult(grant));

    /// <summary>A grant made now, as the rig's instance sees Redis's time.</summary>
    private static LeaseGrant Granted(long permits, UnreachableRedisRig rig) =>
        new(permits, [new RuleResult(true, 10 - permits, 59_000_000, 0)], UnixTime.NowMicroseconds(rig.Clock), 0);
}
