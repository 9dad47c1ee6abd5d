using Gateway.Limiting.Leasing;
using Gateway.Limiting.Policies;
using Gateway.Limiting.Resilience;
using Gateway.Limiting.Storage;
using Gateway.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Limiting.Leasing;

/// <summary>
/// The shared store behind the lease layer, reduced to what the layer relies on: one fixed-window counter per
/// partition key (<see cref="Limit"/> per epoch-aligned window of <see cref="Window"/>, on the test's fake clock),
/// granting by the rule of <c>acquire.lua</c> and taking permits back by the rule of <c>release.lua</c>. It is the
/// exact store too, as the Redis store is, so admissions on either path count against the same counter: the counter
/// is the truth the tests check the layer against. Every call is recorded.
/// </summary>
internal sealed class FakeLeaseSource : ILeaseSource, IRateLimitStore
{
    private readonly Lock _lock = new();
    private readonly FakeTimeProvider _clock;
    private readonly Dictionary<string, (long Start, long Count)> _windows = new(StringComparer.Ordinal);
    private readonly List<LeaseRequest> _grantRequests = [];
    private readonly List<LeaseGrant> _grants = [];
    private readonly List<LeaseRelease> _releases = [];
    private readonly List<RateLimitRequest> _exactRequests = [];
    private readonly Queue<TaskCompletionSource> _blocked = new();
    private readonly List<(LeaseRequest Request, TaskCompletionSource<LeaseGrant> Answer)> _late = [];
    private readonly List<(int Calls, TaskCompletionSource Reached)> _callWaiters = [];
    private bool _blocking;

    public FakeLeaseSource(FakeTimeProvider clock, long limit, TimeSpan window)
    {
        _clock = clock;
        Limit = limit;
        Window = window;
        WindowMicros = window.Ticks / TimeSpan.TicksPerMicrosecond;
    }

    public long Limit { get; }

    public TimeSpan Window { get; }

    public long WindowMicros { get; }

    /// <summary>Reported with every grant: how long other instances may still hold leases (microseconds).</summary>
    public long OthersHoldFor { get; set; }

    /// <summary>When set, a grant fails (after being recorded), as a call to an unreachable store would.</summary>
    public bool FailGrants { get; set; }

    /// <summary>
    /// When set, a grant misses its deadline: the call throws <see cref="StoreDeadlineExceededException"/> at once, and
    /// is decided (and consumes) only when <see cref="AnswerLateGrants"/> says so, as a slow Redis's answer would.
    /// </summary>
    public bool MissDeadlines { get; set; }

    /// <summary>When set, grants complete asynchronously, as a network store's do.</summary>
    public bool YieldOnGrant { get; set; }

    /// <summary>
    /// Runs after a release is recorded, outside the source's lock, on the releasing thread: lets a test act at the
    /// moment the gateway is midway through a step that gives permits back.
    /// </summary>
    public Action<LeaseRelease>? OnRelease { get; set; }

    public int GrantCalls
    {
        get
        {
            lock (_lock)
            {
                return _grantRequests.Count;
            }
        }
    }

    public IReadOnlyList<LeaseRequest> GrantRequests => Snapshot(_grantRequests);

    /// <summary>The answers of completed grants, in the order they were made.</summary>
    public IReadOnlyList<LeaseGrant> Grants => Snapshot(_grants);

    public IReadOnlyList<LeaseRelease> Releases => Snapshot(_releases);

    public IReadOnlyList<RateLimitRequest> ExactRequests => Snapshot(_exactRequests);

    /// <summary>A rule set of the source's one rule. Each call builds a new object, as a configuration reload does.</summary>
    public RuleSet NewRuleSet() => Rules.Set(Rules.Fixed(Limit, Window));

    /// <summary>Permits consumed under <paramref name="partitionKey"/> in the window open now.</summary>
    public long Count(string partitionKey)
    {
        lock (_lock)
        {
            return CountIn(partitionKey, WindowStart(Now()));
        }
    }

    /// <summary>
    /// Grants from now on wait, each until <see cref="OpenNextGrant"/> or <see cref="OpenGrants"/> lets it through;
    /// they are recorded as soon as they are asked.
    /// </summary>
    public void BlockGrants()
    {
        lock (_lock)
        {
            _blocking = true;
        }
    }

    /// <summary>Lets the longest-waiting blocked grant proceed (decided now); false if none is waiting.</summary>
    public bool OpenNextGrant()
    {
        TaskCompletionSource? next;
        lock (_lock)
        {
            _blocked.TryDequeue(out next);
        }

        next?.SetResult();
        return next is not null;
    }

    /// <summary>Lets every waiting grant proceed and stops blocking new ones.</summary>
    public void OpenGrants()
    {
        List<TaskCompletionSource> waiting;
        lock (_lock)
        {
            _blocking = false;
            waiting = [.. _blocked];
            _blocked.Clear();
        }

        waiting.ForEach(static g => g.SetResult());
    }

    /// <summary>Completes once <paramref name="calls"/> grants have been asked for (at once if they have been).</summary>
    public Task GrantCallsReached(int calls)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (_grantRequests.Count < calls)
            {
                _callWaiters.Add((calls, reached));
                return reached.Task;
            }
        }

        reached.SetResult();
        return reached.Task;
    }

    /// <summary>Decides every grant that missed its deadline, now, and delivers the answers; returns how many.</summary>
    public int AnswerLateGrants()
    {
        List<(TaskCompletionSource<LeaseGrant> Answer, LeaseGrant Grant)> answered;
        lock (_lock)
        {
            answered = [.. _late.Select(l => (l.Answer, Grant(l.Request)))];
            _grants.AddRange(answered.Select(static a => a.Grant));
            _late.Clear();
        }

        // Off the test's synchronization context, where the continuations that settle the answers run inline.
        Task.Run(() => answered.ForEach(static a => a.Answer.SetResult(a.Grant))).GetAwaiter().GetResult();
        return answered.Count;
    }

    /// <summary>Another gateway instance takes permits from the same counter.</summary>
    public void ConsumeAsOtherInstance(string partitionKey, long count)
    {
        lock (_lock)
        {
            var start = WindowStart(Now());
            _windows[partitionKey] = (start, CountIn(partitionKey, start) + count);
        }
    }

    /// <summary>Another gateway instance gives unused permits back into the window open now.</summary>
    public void GiveBackAsOtherInstance(string partitionKey, long count)
    {
        lock (_lock)
        {
            var start = WindowStart(Now());
            _windows[partitionKey] = (start, Math.Max(0, CountIn(partitionKey, start) - count));
        }
    }

    public async ValueTask<LeaseGrant> GrantAsync(LeaseRequest request, CancellationToken cancellationToken)
    {
        TaskCompletionSource? gate = null;
        List<TaskCompletionSource> reached;
        lock (_lock)
        {
            _grantRequests.Add(request);
            if (_blocking)
            {
                gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _blocked.Enqueue(gate);
            }

            reached = [.. _callWaiters.Where(w => w.Calls <= _grantRequests.Count).Select(static w => w.Reached)];
            _callWaiters.RemoveAll(w => w.Calls <= _grantRequests.Count);
        }

        reached.ForEach(static r => r.SetResult());

        if (gate is not null)
        {
            await gate.Task.ConfigureAwait(false);
        }

        if (YieldOnGrant)
        {
            await Task.Yield();
        }

        if (FailGrants)
        {
            throw new InvalidOperationException("The shared store is unreachable.");
        }

        if (MissDeadlines)
        {
            var answer = new TaskCompletionSource<LeaseGrant>();
            lock (_lock)
            {
                _late.Add((request, answer));
            }

            throw new StoreDeadlineExceededException("The shared store did not answer within the deadline.", new TimeoutException(), answer.Task);
        }

        lock (_lock)
        {
            var grant = Grant(request);
            _grants.Add(grant);
            return grant;
        }
    }

    public Task ReleaseAsync(LeaseRelease release, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _releases.Add(release);
            // As release.lua: only into the window the lease was taken in, and only while that window is still open.
            var grantedIn = WindowStart(release.GrantedAtStoreTime);
            if (_windows.TryGetValue(release.PartitionKey, out var window) && window.Start == grantedIn
                && WindowStart(Math.Max(Now(), window.Start)) == grantedIn)
            {
                _windows[release.PartitionKey] = (window.Start, Math.Max(0, window.Count - release.Count));
            }
        }

        OnRelease?.Invoke(release);
        return Task.CompletedTask;
    }

    /// <summary>As the Redis store: a refund is a release of the request's cost into the window open now.</summary>
    public ValueTask RefundAsync(RateLimitRequest request, DecisionBasis basis, CancellationToken cancellationToken)
    {
        Refunds++;
        return new ValueTask(ReleaseAsync(new LeaseRelease(request.PartitionKey, request.Rules, request.Cost, Now(), LastLease: false), cancellationToken));
    }

    /// <summary>Refunds asked of this store as the exact store.</summary>
    public int Refunds { get; private set; }

    /// <summary>The exact path: one decision per request, consuming from the same counter as the leases.</summary>
    public ValueTask<RateLimitDecision> AcquireAsync(RateLimitRequest request, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _exactRequests.Add(request);
            var now = Now();
            var start = WindowStart(now);
            var reset = start + WindowMicros - now;
            var count = CountIn(request.PartitionKey, start);
            var allowed = count + request.Cost <= Limit;
            if (allowed && request.Consume)
            {
                count += request.Cost;
                _windows[request.PartitionKey] = (start, count);
            }

            var result = new RuleResult(allowed, Math.Max(0, Limit - count), reset, allowed ? 0 : reset);
            return ValueTask.FromResult(new RateLimitDecision(request.Rules, Fill(request.Rules, result)));
        }
    }

    /// <summary>acquire.lua in lease mode, for one fixed window and this instance as the only holder.</summary>
    private LeaseGrant Grant(LeaseRequest request)
    {
        const long holders = 1;
        var now = Now();
        var start = WindowStart(now);
        var reset = start + WindowMicros - now;
        var count = CountIn(request.PartitionKey, start);
        var available = Math.Max(0, Limit - count);
        if (available < request.Need)
        {
            var refused = new RuleResult(false, available, reset, reset);
            return new LeaseGrant(0, Fill(request.Rules, refused), now, OthersHoldFor);
        }

        var granted = request.Need;
        if (request.Want > request.Need)
        {
            granted = Math.Max(request.Need, Math.Min(request.Want, available / (2 * holders)));
        }

        _windows[request.PartitionKey] = (start, count + granted);
        var after = new RuleResult(true, Limit - count - granted, reset, 0);
        return new LeaseGrant(granted, Fill(request.Rules, after), now, OthersHoldFor);
    }

    private static RuleResult[] Fill(RuleSet rules, RuleResult result)
    {
        var results = new RuleResult[rules.Rules.Length];
        Array.Fill(results, result);
        return results;
    }

    private long CountIn(string partitionKey, long windowStart) =>
        _windows.TryGetValue(partitionKey, out var window) && window.Start == windowStart ? window.Count : 0;

    private long WindowStart(long at) => at - (at % WindowMicros);

    private long Now() => UnixTime.NowMicroseconds(_clock);

    private List<T> Snapshot<T>(List<T> list)
    {
        lock (_lock)
        {
            return [.. list];
        }
    }
}
