namespace Gateway.Limiting.Resilience;

/// <summary>
/// Successes and failures of store calls over the last <see cref="BreakerSettings.SamplingWindow"/>, in ten buckets
/// that roll over as time passes. One small lock: it is taken once per Redis call, which costs far more.
/// </summary>
internal sealed class FailureRateWindow
{
    private const int BucketCount = 10;

    private readonly BreakerSettings _settings;
    private readonly TimeProvider _time;
    private readonly long _bucketTicks;
    private readonly long[] _epochs = new long[BucketCount];
    private readonly int[] _successes = new int[BucketCount];
    private readonly int[] _failures = new int[BucketCount];
    private readonly Lock _lock = new();

    public FailureRateWindow(BreakerSettings settings, TimeProvider time)
    {
        _settings = settings;
        _time = time;
        _bucketTicks = Math.Max(1, (long)(settings.SamplingWindow.TotalSeconds * time.TimestampFrequency / BucketCount));
        Array.Fill(_epochs, long.MinValue);
    }

    public void RecordSuccess() => Record(failed: false);

    /// <summary>Counts a failure; true when the window now holds enough calls and enough of them failed to open the circuit.</summary>
    public bool RecordFailure() => Record(failed: true);

    /// <summary>Calls and failures in the window now (for logs and tests).</summary>
    public (int Calls, int Failures) Snapshot()
    {
        lock (_lock)
        {
            return Sum(_time.GetTimestamp() / _bucketTicks);
        }
    }

    /// <summary>Forgets every call: a circuit that just closed starts counting afresh.</summary>
    public void Reset()
    {
        lock (_lock)
        {
            Array.Fill(_epochs, long.MinValue);
            Array.Clear(_successes);
            Array.Clear(_failures);
        }
    }

    private bool Record(bool failed)
    {
        var epoch = _time.GetTimestamp() / _bucketTicks;
        var index = (int)(epoch % BucketCount);
        lock (_lock)
        {
            if (_epochs[index] != epoch)
            {
                _epochs[index] = epoch;
                _successes[index] = 0;
                _failures[index] = 0;
            }

            if (!failed)
            {
                _successes[index]++;
                return false;
            }

            _failures[index]++;
            var (calls, failures) = Sum(epoch);
            return calls >= _settings.MinimumCalls && failures >= _settings.FailureRatio * calls;
        }
    }

    private (int Calls, int Failures) Sum(long epoch)
    {
        int calls = 0, failures = 0;
        for (var i = 0; i < BucketCount; i++)
        {
            if (_epochs[i] > epoch - BucketCount)
            {
                calls += _successes[i] + _failures[i];
                failures += _failures[i];
            }
        }

        return (calls, failures);
    }
}
