using Gateway.Limiting.Policies;
using Gateway.Limiting.Resilience;
using Gateway.Limiting.Storage;
using Gateway.Tests.Limiting.Leasing;
using Gateway.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using static Gateway.Tests.Support.Time;

namespace Gateway.Tests.Limiting.Resilience;

/// <summary>
/// The store with Redis unreachable: the circuit is open from start-up, so every request is decided by a lease
/// already held, a refusal already known, or the policy's failure mode; none waits on Redis.
/// </summary>
public sealed class ResilientRateLimitStoreTests
{
    private const string Key = UnreachableRedisRig.Key;

    /// <summary>10 per minute; one-minute windows at the rig's start end 59 s later.</summary>
    private static RuleSet TenPerMinute() => Rules.Set(Rules.Fixed(10, TimeSpan.FromMinutes(1)));

    [Fact]
    public void AcquireAsync_FailOpenWhileCircuitOpen_AdmitsEveryRequestWithBasisFailOpen()
    {
        using var rig = new UnreachableRedisRig();
        var rules = TenPerMinute();

        var decisions = Enumerable.Range(0, 25).Select(_ => rig.Acquire(new(Key, rules, 1, FailureMode: FailureMode.FailOpen))).ToList();

        Assert.All(decisions, static d => Assert.True(d.Allowed));
        Assert.All(decisions, static d => Assert.Equal(DecisionBasis.FailOpen, d.Basis));
        Assert.All(decisions, d => Assert.Same(rules, d.Rules));
        // Nothing was counted anywhere: there is nothing to reconcile, and no fallback counter was touched.
        Assert.Equal(0, rig.Store.PendingLedgerCells);
        Assert.Equal(0, rig.Fallback.PartitionCount);
    }

    [Fact]
    public void AcquireAsync_FailClosedWhileCircuitOpen_RefusesEveryRequestWithBasisUnavailable()
    {
        using var rig = new UnreachableRedisRig();
        var rules = TenPerMinute();

        var decisions = Enumerable.Range(0, 5).Select(_ => rig.Acquire(new(Key, rules, 1, FailureMode: FailureMode.FailClosed))).ToList();

        Assert.All(decisions, static d => Assert.False(d.Allowed));
        Assert.All(decisions, static d => Assert.Equal(DecisionBasis.Unavailable, d.Basis));
        Assert.Equal(0, rig.Store.PendingLedgerCells);
        Assert.Equal(0, rig.Fallback.PartitionCount);
    }

    [Theory]
    [InlineData(0, 10)] // no count below 1: the whole limit
    [InlineData(1, 10)]
    [InlineData(3, 3)] // 10 / 3, rounded down
    [InlineData(4, 2)]
    [InlineData(20, 1)] // never below 1
    public void AcquireAsync_LocalFallbackWhileCircuitOpen_EnforcesTheLimitDividedByLiveInstances(int expectedInstances, int fallbackLimit)
    {
        using var rig = new UnreachableRedisRig(expectedInstances);
        var request = new RateLimitRequest(Key, TenPerMinute(), 1);

        var admitted = rig.AcquireMany(30, request);
        var refused = rig.Acquire(request);

        // No heartbeat reaches Redis, so the divisor is the configured expectation.
        Assert.Equal(Math.Max(1, expectedInstances), rig.Instances.LiveInstances);
        Assert.Equal(fallbackLimit, admitted);
        Assert.False(refused.Allowed);
        Assert.Equal(DecisionBasis.LocalFallback, refused.Basis);
        Assert.Equal(fallbackLimit, refused.Rules.Rules[0].Limit);
        Assert.True(refused.RetryAfterMicroseconds > 0);
        Assert.Equal(1, rig.Store.PendingLedgerCells);
    }

    [Fact]
    public void AcquireAsync_LocalFallbackNextWindow_AdmitsTheFallbackLimitAgain()
    {
        using var rig = new UnreachableRedisRig(expectedInstances: 3);
        var request = new RateLimitRequest(Key, TenPerMinute(), 1);
        Assert.Equal(3, rig.AcquireMany(10, request));

        // The fallback counters are real counters on the limiter's clock: a new window restores the quota.
        rig.Clock.AdvanceMicros(MicrosPerMinute);

        Assert.Equal(3, rig.AcquireMany(10, request));
        // One ledger cell per window: each is charged to the window its admissions fell in.
        Assert.Equal(2, rig.Store.PendingLedgerCells);
        Assert.Equal([3L, 3L], rig.Ledger.Drain().OrderBy(static e => e.At).Select(static e => e.Permits));
    }

    [Fact]
    public void AcquireAsync_LocalFallbackAdmissions_AreRecordedPerKeyAndRefusalsAreNot()
    {
        using var rig = new UnreachableRedisRig(expectedInstances: 2);
        var rules = TenPerMinute();

        Assert.True(rig.Acquire(new("p|alice", rules, 1)).Allowed);
        Assert.True(rig.Acquire(new("p|alice", rules, 2)).Allowed);
        Assert.True(rig.Acquire(new("p|bob", rules, 5)).Allowed);
        // More than the rule could ever admit: refused, and nothing to add to Redis for carol. (A cost of 6, above the
        // share of 5 but within the limit, would be admitted once a window: a share never refuses a cost forever.)
        var refused = rig.Acquire(new("p|carol", rules, 11));

        Assert.False(refused.Allowed);
        Assert.Equal(DecisionBasis.LocalFallback, refused.Basis);
        Assert.Equal(2, rig.Store.PendingLedgerCells);
    }

    [Fact]
    public void AcquireAsync_LocalFallbackPeek_ConsumesNothingAndRecordsNothing()
    {
        using var rig = new UnreachableRedisRig(expectedInstances: 3);
        var rules = TenPerMinute();

        for (var i = 0; i < 5; i++)
        {
            var peek = rig.Acquire(new(Key, rules, 1, Consume: false));
            Assert.True(peek.Allowed);
            Assert.Equal(DecisionBasis.LocalFallback, peek.Basis);
            Assert.Equal(3, peek.Rules.Rules[0].Limit); // a peek sees the fallback limit, as requests do
        }

        Assert.Equal(0, rig.Store.PendingLedgerCells);
        Assert.Equal(3, rig.AcquireMany(10, new(Key, rules, 1)));
    }

    [Theory]
    [InlineData(FailureMode.LocalFallback)]
    [InlineData(FailureMode.FailOpen)]
    [InlineData(FailureMode.FailClosed)]
    public void AcquireAsync_CircuitOpen_NeverCallsTheSharedStore(FailureMode mode)
    {
        var shared = new ScriptedStore();
        using var rig = new UnreachableRedisRig(shared: shared);
        var rules = TenPerMinute();

        rig.Acquire(new(Key, rules, 1, FailureMode: mode));
        rig.Acquire(new(Key, rules, 1, Consume: false, FailureMode: mode));
        rig.Acquire(new(Key, rules, 1, Exact: true, FailureMode: mode));

        // The point of the circuit: no request pays the store's deadline while it is known to be down.
        Assert.Equal(0, shared.Calls);
    }

    [Fact]
    public void AcquireAsync_LeaseHeldWhenTheCircuitOpens_ServesFromTheLeaseBeforeTheFailureMode()
    {
        using var leases = new LeaseRig(limit: 1_000, maxLeaseSize: 100);
        leases.Warm();
        var held = leases.HeldPermits();
        Assert.True(held > 1, "Warming left no lease to serve from.");
        leases.Source.FailGrants = true; // Redis is gone: refills fail from now on
        var consumed = leases.Source.Count(LeaseRig.Key);
        using var rig = new UnreachableRedisRig(clock: leases.Clock, shared: leases.Store);
        var request = new RateLimitRequest(LeaseRig.Key, leases.Rules, 1, FailureMode: FailureMode.FailClosed);

        // FailClosed refuses anything the lease cannot serve, so each admission below came from the lease.
        for (var i = 0; i < held; i++)
        {
            var decision = rig.Acquire(request);
            Assert.True(decision.Allowed, $"Request {i + 1} of {held} leased permits was refused.");
            Assert.Equal(DecisionBasis.Shared, decision.Basis);
        }

        var afterLease = rig.Acquire(request);

        Assert.False(afterLease.Allowed);
        Assert.Equal(DecisionBasis.Unavailable, afterLease.Basis);
        Assert.Equal(0, leases.HeldPermits());
        // The leased permits were paid for in the store before the outage; serving them took nothing more.
        Assert.Equal(consumed, leases.Source.Count(LeaseRig.Key));
    }

    [Fact]
    public void AcquireAsync_LeaseHeldUnderLocalFallback_ServesTheLeaseFirstAndRecordsOnlyFallbackAdmissions()
    {
        using var leases = new LeaseRig(limit: 1_000, maxLeaseSize: 100);
        leases.Warm();
        var held = leases.HeldPermits();
        leases.Source.FailGrants = true;
        using var rig = new UnreachableRedisRig(expectedInstances: 2, clock: leases.Clock, shared: leases.Store);
        var request = new RateLimitRequest(LeaseRig.Key, leases.Rules, 1);

        for (var i = 0; i < held; i++)
        {
            Assert.Equal(DecisionBasis.Shared, rig.Acquire(request).Basis);
        }

        // Leased permits are already counted in the store: reconciling them would count them twice.
        Assert.Equal(0, rig.Store.PendingLedgerCells);

        var fallback = rig.Acquire(request);

        Assert.True(fallback.Allowed);
        Assert.Equal(DecisionBasis.LocalFallback, fallback.Basis);
        Assert.Equal(500, fallback.Rules.Rules[0].Limit);
        Assert.Equal(1, rig.Store.PendingLedgerCells);
    }

    [Fact]
    public void AcquireAsync_LeaseExpired_UsesTheFailureMode()
    {
        using var leases = new LeaseRig(limit: 1_000, maxLeaseSize: 100, duration: TimeSpan.FromSeconds(1));
        leases.Warm();
        var held = leases.HeldPermits();
        leases.Source.FailGrants = true;
        using var rig = new UnreachableRedisRig(clock: leases.Clock, shared: leases.Store);

        // Past its duration a lease may hold permits that already went back (or are about to): it serves no more.
        leases.Clock.Advance(TimeSpan.FromSeconds(1));
        var decision = rig.Acquire(new(LeaseRig.Key, leases.Rules, 1, FailureMode: FailureMode.FailClosed));

        Assert.False(decision.Allowed);
        Assert.Equal(DecisionBasis.Unavailable, decision.Basis);
        Assert.Equal(held, leases.HeldPermits());
    }

    [Fact]
    public void AcquireAsync_ExactPeekOrReloadedRulesWhileCircuitOpen_DoNotTouchTheLease()
    {
        using var leases = new LeaseRig(limit: 1_000, maxLeaseSize: 100);
        leases.Warm();
        var held = leases.HeldPermits();
        leases.Source.FailGrants = true;
        using var rig = new UnreachableRedisRig(clock: leases.Clock, shared: leases.Store);

        // An exact policy never uses leases, a peek takes nothing, and a lease taken under other rules does not apply.
        var exact = rig.Acquire(new(LeaseRig.Key, leases.Rules, 1, Exact: true, FailureMode: FailureMode.FailClosed));
        var peek = rig.Acquire(new(LeaseRig.Key, leases.Rules, 1, Consume: false, FailureMode: FailureMode.FailClosed));
        var reloaded = rig.Acquire(new(LeaseRig.Key, leases.Source.NewRuleSet(), 1, FailureMode: FailureMode.FailClosed));

        Assert.Equal(DecisionBasis.Unavailable, exact.Basis);
        Assert.Equal(DecisionBasis.Unavailable, peek.Basis);
        Assert.Equal(DecisionBasis.Unavailable, reloaded.Basis);
        Assert.Equal(held, leases.HeldPermits());
    }

    [Fact]
    public void AcquireAsync_StoreRefusedBeforeTheOutage_StillRefusesUnderFailOpen()
    {
        using var leases = new LeaseRig(limit: 5);
        Assert.Equal(5, leases.AcquireMany(10));
        leases.Source.FailGrants = true;
        using var rig = new UnreachableRedisRig(clock: leases.Clock, shared: leases.Store);

        // Redis said this key is out of quota until its window ends: an outage does not make it admissible.
        var refused = rig.Acquire(new(LeaseRig.Key, leases.Rules, 1, FailureMode: FailureMode.FailOpen));
        var otherKey = rig.Acquire(new("p|bob", leases.Rules, 1, FailureMode: FailureMode.FailOpen));

        Assert.False(refused.Allowed);
        Assert.Equal(DecisionBasis.Shared, refused.Basis);
        Assert.True(refused.RetryAfterMicroseconds > 0);
        Assert.True(otherKey.Allowed);
        Assert.Equal(DecisionBasis.FailOpen, otherKey.Basis);
    }

    [Theory]
    [InlineData(FailureMode.FailOpen, true, DecisionBasis.FailOpen)]
    [InlineData(FailureMode.FailClosed, false, DecisionBasis.Unavailable)]
    [InlineData(FailureMode.LocalFallback, true, DecisionBasis.LocalFallback)]
    public async Task AcquireAsync_SharedStoreFailsWithCircuitClosed_UsesTheFailureMode(FailureMode mode, bool allowed, DecisionBasis basis)
    {
        var shared = new ScriptedStore { Fail = true };
        var probe = new ScriptedProbe();
        using var breaker = new StoreCircuitBreaker(probe.InvokeAsync, TimeSpan.FromSeconds(5), BreakerSettings.Default, NullLogger<StoreCircuitBreaker>.Instance);
        using var rig = new UnreachableRedisRig(shared: shared, breaker: breaker);

        // A call that outlives its deadline before the circuit opens: the request still gets an answer.
        var decision = await rig.Store.AcquireAsync(new(Key, TenPerMinute(), 1, FailureMode: mode), CancellationToken.None);

        Assert.Equal(1, shared.Calls);
        Assert.Equal(allowed, decision.Allowed);
        Assert.Equal(basis, decision.Basis);
        Assert.Equal(mode == FailureMode.LocalFallback ? 1 : 0, rig.Store.PendingLedgerCells);
    }

    [Fact]
    public async Task AcquireAsync_CircuitClosesAgain_ReconcilesBeforeClosingThenUsesTheSharedStore()
    {
        var shared = new ScriptedStore();
        var probe = new ScriptedProbe();
        using var breaker = new StoreCircuitBreaker(probe.InvokeAsync, TimeSpan.FromSeconds(5), BreakerSettings.Default, NullLogger<StoreCircuitBreaker>.Instance);
        using var rig = new UnreachableRedisRig(expectedInstances: 2, shared: shared, breaker: breaker);
        var rules = TenPerMinute();
        var closedDecision = rig.Acquire(new(Key, rules, 1));
        Assert.Equal(DecisionBasis.Shared, closedDecision.Basis);

        breaker.Open("test");
        Assert.Equal(5, rig.AcquireMany(10, new(Key, rules, 1)));
        Assert.Equal(1, rig.Store.PendingLedgerCells);
        Assert.Equal(1, shared.Calls);

        probe.Outcome = ProbeOutcome.Succeed;
        await Poll.UntilAsync(() => breaker.State == CircuitState.Closed, "the circuit closes", breaker.ProbeIfOpen);

        // Reconciliation ran before the circuit closed; this Redis cannot take it, so the permits went back into the
        // ledger to be tried again (their window is still open), not forgotten.
        Assert.Equal(5, rig.Ledger.PendingPermits);
        var after = rig.Acquire(new(Key, rules, 1));
        Assert.Equal(DecisionBasis.Shared, after.Basis);
        Assert.Equal(2, shared.Calls);
    }

    [Fact]
    public async Task Reconciler_DisposeAsync_DetachesFromTheBreaker()
    {
        var probe = new ScriptedProbe();
        using var breaker = new StoreCircuitBreaker(probe.InvokeAsync, TimeSpan.FromSeconds(5), BreakerSettings.Default, NullLogger<StoreCircuitBreaker>.Instance);
        using var rig = new UnreachableRedisRig(shared: new ScriptedStore(), breaker: breaker);
        Assert.NotNull(breaker.BeforeClosing);

        await rig.Reconciler.DisposeAsync();

        // A disposed reconciler must not be called back when the breaker, which outlives it, closes.
        Assert.Null(breaker.BeforeClosing);
    }

    [Fact]
    public async Task RefundAsync_LocalFallbackAdmission_GivesThePermitBackToTheFallbackCounters()
    {
        using var rig = new UnreachableRedisRig(expectedInstances: 3);
        var request = new RateLimitRequest(Key, TenPerMinute(), 1);
        Assert.Equal(3, rig.AcquireMany(5, request));

        // The backend never answered: the fallback counter it was admitted on takes the permit back.
        await rig.Store.RefundAsync(request, DecisionBasis.LocalFallback, CancellationToken.None);

        Assert.Equal(1, rig.AcquireMany(5, request));
        Assert.Equal(1, rig.Store.PendingLedgerCells);
    }

    [Fact]
    public async Task RefundAsync_SharedWhileTheStoreIsUnavailable_LosesThePermitQuietly()
    {
        var shared = new ScriptedStore { Fail = true };
        using var rig = new UnreachableRedisRig(shared: shared);

        // A refund that cannot reach the store keeps the permit spent (quota lost, never gained); it must not fail
        // the response it was made for.
        await rig.Store.RefundAsync(new(Key, TenPerMinute(), 1), DecisionBasis.Shared, CancellationToken.None);

        Assert.Equal(1, shared.Refunds);
        Assert.Equal(0, rig.Store.PendingLedgerCells);
    }

    [Fact]
    public async Task RefundAsync_SharedWithALeaseHeldWhileCircuitOpen_ReturnsThePermitToTheLease()
    {
        using var leases = new LeaseRig(limit: 1_000, maxLeaseSize: 100);
        leases.Warm();
        leases.Source.FailGrants = true;
        using var rig = new UnreachableRedisRig(clock: leases.Clock, shared: leases.Store);
        var request = new RateLimitRequest(LeaseRig.Key, leases.Rules, 1, FailureMode: FailureMode.FailClosed);
        Assert.Equal(DecisionBasis.Shared, rig.Acquire(request).Basis);
        var held = leases.HeldPermits();

        await rig.Store.RefundAsync(request, DecisionBasis.Shared, CancellationToken.None);

        // The permit came from the lease, so it goes back there: no call to the (unreachable) store.
        Assert.Equal(held + 1, leases.HeldPermits());
        Assert.Equal(0, leases.Source.Refunds);
    }

    [Theory]
    [InlineData(DecisionBasis.FailOpen)]
    [InlineData(DecisionBasis.Unavailable)]
    public async Task RefundAsync_NothingWasCounted_TouchesNothing(DecisionBasis basis)
    {
        var shared = new ScriptedStore();
        using var rig = new UnreachableRedisRig(shared: shared);

        await rig.Store.RefundAsync(new(Key, TenPerMinute(), 1), basis, CancellationToken.None);

        // A request admitted without a decision (or refused) took nothing from any counter.
        Assert.Equal(0, shared.Refunds);
        Assert.Equal(0, rig.Fallback.PartitionCount);
        Assert.Equal(0, rig.Store.PendingLedgerCells);
    }

    [Fact]
    public async Task RefundAsync_LocalFallbackAfterReconciliation_LeavesNoNegativeEntryToReconcile()
    {
        using var rig = new UnreachableRedisRig();
        var request = new RateLimitRequest(Key, TenPerMinute(), 1);
        Assert.Equal(DecisionBasis.LocalFallback, rig.Acquire(request).Basis);
        Assert.Single(rig.Ledger.Drain());

        // The backend of that fallback admission fails only now, after reconciliation took the ledger. Recording -1
        // for the key would create an entry of -1 permits, which the next reconciliation would subtract from Redis's
        // counters: quota invented, where the ledger promises "forgotten, never invented".
        await rig.Store.RefundAsync(request, DecisionBasis.LocalFallback, CancellationToken.None);

        Assert.Equal(0, rig.Store.PendingLedgerCells);
        Assert.Empty(rig.Ledger.Drain());
    }
}
