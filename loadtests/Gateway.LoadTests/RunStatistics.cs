using System.Net;
using HdrHistogram;

namespace Gateway.LoadTests;

/// <summary>What a run measured: every request's outcome and latency (HdrHistogram, microseconds). Thread-safe.</summary>
public sealed class RunStatistics
{
    // Microseconds, from 1 µs to 60 s, 3 significant digits.
    private readonly LongConcurrentHistogram _latency = new(1, 60_000_000, 3);
    private long _sent;
    private long _success;
    private long _limited;
    private long _otherStatus;
    private long _errors;

    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>2xx responses.</summary>
    public long Success => Interlocked.Read(ref _success);

    /// <summary>429 responses.</summary>
    public long Limited => Interlocked.Read(ref _limited);

    /// <summary>Any other status (500, 503, 401...).</summary>
    public long OtherStatus => Interlocked.Read(ref _otherStatus);

    /// <summary>No response: connection errors and client timeouts.</summary>
    public long Errors => Interlocked.Read(ref _errors);

    public TimeSpan Elapsed { get; internal set; }

    public double Throughput => Elapsed > TimeSpan.Zero ? (Success + Limited + OtherStatus) / Elapsed.TotalSeconds : 0;

    public double PercentileMilliseconds(double percentile) => _latency.TotalCount == 0 ? 0 : _latency.GetValueAtPercentile(percentile) / 1000.0;

    internal void Started() => Interlocked.Increment(ref _sent);

    internal void Completed(HttpStatusCode? status, long latencyMicroseconds)
    {
        _latency.RecordValue(Math.Clamp(latencyMicroseconds, 1, _latency.HighestTrackableValue));
        if (status is null)
        {
            Interlocked.Increment(ref _errors);
        }
        else if (status == HttpStatusCode.TooManyRequests)
        {
            Interlocked.Increment(ref _limited);
        }
        else if ((int)status is >= 200 and < 300)
        {
            Interlocked.Increment(ref _success);
        }
        else
        {
            Interlocked.Increment(ref _otherStatus);
        }
    }
}
