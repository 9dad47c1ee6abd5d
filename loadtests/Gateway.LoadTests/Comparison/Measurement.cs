using Gateway.LoadTests.Running;

namespace Gateway.LoadTests.Comparison;

/// <summary>One target under one workload, summed over the rounds: outcomes, latencies, time, and Redis script calls.</summary>
public sealed class Measurement
{
    public OutcomeStatistics Outcomes { get; } = new();

    public TimeSpan Elapsed { get; private set; }

    public long RedisCalls { get; private set; }

    public int Rounds { get; private set; }

    /// <summary>Responses per second, any status.</summary>
    public double Throughput => Elapsed > TimeSpan.Zero ? (Outcomes.Completed - Outcomes.Errors) / Elapsed.TotalSeconds : 0;

    /// <summary>Redis script calls per request answered (admitted, or refused for the 429 path).</summary>
    public double RedisCallsPerRequest => Outcomes.Completed - Outcomes.Errors > 0 ? (double)RedisCalls / (Outcomes.Completed - Outcomes.Errors) : 0;

    public void Add(RunStatistics round, long redisCalls)
    {
        Outcomes.Add(round.Total);
        Elapsed += round.Elapsed;
        RedisCalls += redisCalls;
        Rounds++;
    }
}
