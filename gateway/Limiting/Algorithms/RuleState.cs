namespace Gateway.Limiting.Algorithms;

/// <summary>
/// The stored state of one rule in one partition. One shape for all algorithms keeps the store simple:
/// fixed window uses <see cref="WindowStart"/> and <see cref="Count"/>; sliding window adds
/// <see cref="PreviousCount"/>; the token bucket uses <see cref="WindowStart"/> as its last refill time and
/// <see cref="Tokens"/>. A default value is a rule nobody has touched.
/// </summary>
public struct RuleState
{
    public bool Initialized;

    /// <summary>Microseconds since the Unix epoch: window start, or last refill for a bucket.</summary>
    public long WindowStart;

    public long Count;

    public long PreviousCount;

    public double Tokens;
}
