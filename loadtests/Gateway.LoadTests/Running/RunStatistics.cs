using System.Net;

namespace Gateway.LoadTests.Running;

/// <summary>
/// What one step measured: every request's outcome and latency, in total, per group, and per second of the run
/// (by completion time) for the report's charts. Thread-safe; readable while the step runs (live progress).
/// </summary>
public sealed class RunStatistics
{
    private readonly OutcomeStatistics[] _groups;
    private readonly OutcomeStatistics?[] _seconds;
    private readonly Lock _sliceLock = new();

    public RunStatistics(LoadStep step)
    {
        Step = step;
        _groups = step.Groups.Select(_ => new OutcomeStatistics()).ToArray();
        // Room for responses that finish after the last start: up to the client timeout.
        _seconds = new OutcomeStatistics?[(int)Math.Ceiling(step.Shape.Duration.TotalSeconds) + 1 + (int)LoadClients.Timeout.TotalSeconds];
    }

    public LoadStep Step { get; }

    public OutcomeStatistics Total { get; } = new();

    public TimeSpan Elapsed { get; internal set; }

    public long Sent => Total.Sent;

    public long Success => Total.Success;

    public long Limited => Total.Limited;

    public long OtherStatus => Total.OtherStatus;

    public long Errors => Total.Errors;

    /// <summary>Responses (any status) per second over the step.</summary>
    public double Throughput => Elapsed > TimeSpan.Zero ? (Success + Limited + OtherStatus) / Elapsed.TotalSeconds : 0;

    public double PercentileMilliseconds(double percentile) => Total.PercentileMilliseconds(percentile);

    public OutcomeStatistics Group(int index) => _groups[index];

    public OutcomeStatistics Group(string name) => _groups[IndexOfGroup(name)];

    /// <summary>Per-second slices from the step's start up to the last second that saw a response (empty seconds included).</summary>
    public IReadOnlyList<OutcomeStatistics> Timeline
    {
        get
        {
            var last = Array.FindLastIndex(_seconds, s => s is not null);
            return Enumerable.Range(0, last + 1).Select(i => _seconds[i] ?? new OutcomeStatistics(2)).ToList();
        }
    }

    internal void Started(in RequestSpec request)
    {
        Total.Started();
        _groups[request.Group].Started();
    }

    internal void Completed(in RequestSpec request, HttpStatusCode? status, long latencyMicroseconds, TimeSpan completedAt)
    {
        Total.Record(status, latencyMicroseconds);
        _groups[request.Group].Record(status, latencyMicroseconds);
        var slice = Slice((int)Math.Min(completedAt.TotalSeconds, _seconds.Length - 1));
        slice.Started();
        slice.Record(status, latencyMicroseconds);
    }

    private OutcomeStatistics Slice(int second)
    {
        var slice = Volatile.Read(ref _seconds[second]);
        if (slice is not null)
        {
            return slice;
        }

        lock (_sliceLock)
        {
            return _seconds[second] ??= new OutcomeStatistics(2);
        }
    }

    private int IndexOfGroup(string name)
    {
        for (var i = 0; i < Step.Groups.Count; i++)
        {
            if (Step.Groups[i] == name)
            {
                return i;
            }
        }

        throw new ArgumentException($"The step has no group '{name}'.", nameof(name));
    }
}
