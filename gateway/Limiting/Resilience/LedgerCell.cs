using Gateway.Limiting.Policies;

namespace Gateway.Limiting.Resilience;

/// <summary>
/// Where in time a fallback admission falls for a rule set: the span in which every window rule is in one and the same
/// window (windows are aligned to the epoch, as in the scripts). Admissions of one cell are charged to the same windows,
/// so a ledger that keeps cells apart charges an outage that crossed a window boundary to the window each admission
/// happened in.
/// </summary>
internal static class LedgerCell
{
    /// <summary>
    /// The cell's start: the latest window start among the rules at <paramref name="at"/> (Redis time, microseconds). Two
    /// instants share every window exactly when they share this value. 0 for token buckets alone, which have no windows.
    /// </summary>
    public static long Start(RuleSet rules, long at)
    {
        long start = 0;
        foreach (var rule in rules.Rules)
        {
            if (rule.Algorithm != RateLimitAlgorithm.TokenBucket)
            {
                start = Math.Max(start, at - (at % rule.WindowMicroseconds));
            }
        }

        return start;
    }

    /// <summary>
    /// Until when permits admitted at <paramref name="at"/> can still change a decision: a fixed window's end, a sliding
    /// window's end plus one window (it weighs the previous window), and for a bucket the time it takes to refill from
    /// empty, counted from the admission (a cell keeps the latest of its admissions'). Past it, reconciling them would
    /// charge nothing.
    /// </summary>
    public static long RelevantUntil(RuleSet rules, long at)
    {
        long until = at;
        foreach (var rule in rules.Rules)
        {
            var window = rule.WindowMicroseconds;
            var windowEnd = at - (at % window) + window;
            until = Math.Max(until, rule.Algorithm switch
            {
                RateLimitAlgorithm.FixedWindow => windowEnd,
                RateLimitAlgorithm.SlidingWindow => windowEnd + window,
                _ => at + (long)Math.Ceiling(window * (double)rule.Burst / rule.Limit),
            });
        }

        return until;
    }
}
