namespace Gateway.Limiting.Policies;

/// <summary>The counting method of one rule.</summary>
public enum RateLimitAlgorithm
{
    /// <summary>One counter per window aligned to the Unix epoch; exact, but admits up to 2x the limit across a boundary.</summary>
    FixedWindow,

    /// <summary>Current and previous window counters, the previous weighted by its overlap with the sliding window.</summary>
    SlidingWindow,

    /// <summary>Refills <c>Limit</c> tokens per <c>Window</c> into a bucket that holds at most <c>Burst</c>.</summary>
    TokenBucket,
}
