using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Gateway.Limiting.Resilience;

/// <summary>
/// Counts the decisions made in a failure mode (local fallback, fail open, fail closed) and says so: in the log at most
/// once per <see cref="LogInterval"/> per policy, with how many and why (the first at once), and in <c>/readyz</c>. A
/// decision in a failure mode while Redis is healthy is a defect to see, not a detail to hide.
/// </summary>
internal sealed partial class FailureModeDecisions
{
    public static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, PolicyCount> _byPolicy = new(StringComparer.Ordinal);
    private readonly ILogger<FailureModeDecisions> _logger;
    private long _total;
    private Last? _last;

    public FailureModeDecisions(ILogger<FailureModeDecisions> logger) => _logger = logger;

    /// <summary>Decisions in a failure mode since start.</summary>
    public long Total => Interlocked.Read(ref _total);

    /// <summary>The latest one: when (UTC), which policy, why.</summary>
    public (DateTimeOffset At, string Policy, string Reason)? Latest => Volatile.Read(ref _last) is { } last ? (last.At, last.Policy, last.Reason) : null;

    public void Record(string policy, FailureMode mode, string reason)
    {
        Interlocked.Increment(ref _total);
        Volatile.Write(ref _last, new Last(DateTimeOffset.UtcNow, policy, reason));
        var count = _byPolicy.GetOrAdd(policy, static _ => new PolicyCount());
        var seen = Interlocked.Increment(ref count.Count);
        var now = Environment.TickCount64;
        var due = Interlocked.Read(ref count.NextLogAt);
        if (now >= due && Interlocked.CompareExchange(ref count.NextLogAt, now + (long)LogInterval.TotalMilliseconds, due) == due)
        {
            var logged = Interlocked.Exchange(ref count.Logged, seen);
            Log.Decided(_logger, seen - logged, policy, mode, reason);
        }
    }

    private sealed class PolicyCount
    {
        public long Count;
        public long Logged;
        public long NextLogAt;
    }

    private sealed record Last(DateTimeOffset At, string Policy, string Reason);

    private static partial class Log
    {
        [LoggerMessage(EventId = 1412, Level = LogLevel.Warning, Message = "{Count} decisions of policy {Policy} made in failure mode {FailureMode} since the last report: {Reason}")]
        public static partial void Decided(ILogger logger, long count, string policy, FailureMode failureMode, string reason);
    }
}
