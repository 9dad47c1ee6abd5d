using Gateway.LoadTests.Running;

namespace Gateway.LoadTests.Comparison;

/// <summary>One target under one workload, summed over the rounds: outcomes, latencies, time, and Redis script calls.</summary>
public sealed class Measurement
{
    private readonly List<double> _rounds = [];
    private readonly List<double> _roundP99s = [];

    public OutcomeStatistics Outcomes { get; } = new();

    public TimeSpan Elapsed { get; private set; }

    public long RedisCalls { get; private set; }

    public int Rounds => _rounds.Count;

    /// <summary>Responses per second of each round, in round order.</summary>
    public IReadOnlyList<double> RoundThroughputs => _rounds;

    /// <summary>Responses per second, any status.</summary>
    public double Throughput => Elapsed > TimeSpan.Zero ? (Outcomes.Completed - Outcomes.Errors) / Elapsed.TotalSeconds : 0;

    /// <summary>Redis script calls per request answered (admitted, or refused for the 429 path).</summary>
    public double RedisCallsPerRequest => Outcomes.Completed - Outcomes.Errors > 0 ? (double)RedisCalls / (Outcomes.Completed - Outcomes.Errors) : 0;

    /// <summary>
    /// The median over rounds of this target's throughput divided by <paramref name="baseline"/>'s in the same round:
    /// pairing each round with its neighbour in time cancels the drift of a shared machine better than a ratio of sums.
    /// </summary>
    public double MedianRatioTo(Measurement baseline)
    {
        return Median(_rounds.Zip(baseline._rounds, (mine, theirs) => theirs > 0 ? mine / theirs : 0));
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? 0 : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>The median over rounds of this target's p99 minus <paramref name="baseline"/>'s in the same round, in ms.</summary>
    public double MedianP99GapTo(Measurement baseline) =>
        Median(_roundP99s.Zip(baseline._roundP99s, (mine, theirs) => mine - theirs));

    public void Add(RunStatistics round, long redisCalls)
    {
        Outcomes.Add(round.Total);
        Elapsed += round.Elapsed;
        RedisCalls += redisCalls;
        _rounds.Add(round.Throughput);
        _roundP99s.Add(round.PercentileMilliseconds(99));
    }
}
