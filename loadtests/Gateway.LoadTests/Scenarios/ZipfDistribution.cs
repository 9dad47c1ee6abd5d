namespace Gateway.LoadTests.Scenarios;

/// <summary>
/// Ranks 0..n-1 with probability proportional to 1 / (rank + 1)^exponent: a few hot subjects, a long tail.
/// Sampling is a binary search in the cumulative weights, from a uniform number the caller supplies (deterministic).
/// </summary>
public sealed class ZipfDistribution
{
    private readonly double[] _cumulative;

    public ZipfDistribution(int count, double exponent)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        _cumulative = new double[count];
        var total = 0.0;
        for (var rank = 0; rank < count; rank++)
        {
            total += 1 / Math.Pow(rank + 1, exponent);
            _cumulative[rank] = total;
        }
    }

    public int Count => _cumulative.Length;

    /// <summary>The hottest rank's share of all requests.</summary>
    public double TopShare => _cumulative[0] / _cumulative[^1];

    /// <param name="uniform">A number in [0, 1).</param>
    public int Sample(double uniform)
    {
        var rank = Array.BinarySearch(_cumulative, uniform * _cumulative[^1]);
        return Math.Min(rank < 0 ? ~rank : rank, _cumulative.Length - 1);
    }
}
