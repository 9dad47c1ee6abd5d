using System.Net;
using HdrHistogram;

namespace Gateway.LoadTests.Running;

/// <summary>Outcomes and latencies (HdrHistogram, microseconds) of a set of requests. Thread-safe.</summary>
public sealed class OutcomeStatistics
{
    private const long HighestLatencyMicroseconds = 120_000_000;
    private readonly LongConcurrentHistogram _latency;
    private long _sent;
    private long _success;
    private long _limited;
    private long _otherStatus;
    private long _errors;
    private long _serverErrors;

    /// <param name="significantDigits">3 for totals; 2 keeps per-second slices small (1% resolution).</param>
    public OutcomeStatistics(int significantDigits = 3) => _latency = new LongConcurrentHistogram(1, HighestLatencyMicroseconds, significantDigits);

    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>2xx responses.</summary>
    public long Success => Interlocked.Read(ref _success);

    /// <summary>429 responses.</summary>
    public long Limited => Interlocked.Read(ref _limited);

    /// <summary>Any other status (5xx, 401...).</summary>
    public long OtherStatus => Interlocked.Read(ref _otherStatus);

    /// <summary>5xx responses (a subset of <see cref="OtherStatus"/>).</summary>
    public long ServerErrors => Interlocked.Read(ref _serverErrors);

    /// <summary>No response: connection errors and client timeouts.</summary>
    public long Errors => Interlocked.Read(ref _errors);

    public long Completed => Success + Limited + OtherStatus + Errors;

    public long LatencyCount => _latency.TotalCount;

    public double PercentileMilliseconds(double percentile) =>
        _latency.TotalCount == 0 ? 0 : _latency.GetValueAtPercentile(percentile) / 1000.0;

    /// <summary>Adds another set's counts and latencies (e.g. the rounds of a comparison) into this one.</summary>
    public void Add(OutcomeStatistics other)
    {
        Interlocked.Add(ref _sent, other.Sent);
        Interlocked.Add(ref _success, other.Success);
        Interlocked.Add(ref _limited, other.Limited);
        Interlocked.Add(ref _otherStatus, other.OtherStatus);
        Interlocked.Add(ref _serverErrors, other.ServerErrors);
        Interlocked.Add(ref _errors, other.Errors);
        _latency.Add(other._latency);
    }

    internal void Started() => Interlocked.Increment(ref _sent);

    internal void Record(HttpStatusCode? status, long latencyMicroseconds)
    {
        // Latency of responses only: a refused connection (a millisecond) or a timeout (30 s) is not a response time,
        // and would move the percentiles of the requests that were answered.
        if (status is not null)
        {
            _latency.RecordValue(Math.Clamp(latencyMicroseconds, 1, HighestLatencyMicroseconds));
        }

        switch (status)
        {
            case null:
                Interlocked.Increment(ref _errors);
                break;
            case HttpStatusCode.TooManyRequests:
                Interlocked.Increment(ref _limited);
                break;
            case var s when (int)s is >= 200 and < 300:
                Interlocked.Increment(ref _success);
                break;
            default:
                Interlocked.Increment(ref _otherStatus);
                if ((int)status >= 500)
                {
                    Interlocked.Increment(ref _serverErrors);
                }

                break;
        }
    }
}
