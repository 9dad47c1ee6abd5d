namespace Gateway.Limiting.Algorithms;

internal static class MathUtil
{
    /// <summary>Tolerance for comparisons of fractional counts, so a permit due at an exact instant is admitted then.</summary>
    public const double Epsilon = 1e-9;

    /// <summary>
    /// How far a closed-form "retry after" may be nudged, one microsecond at a time, onto the first instant the
    /// admission test passes. Float rounding puts it at most a step or two off; the bound keeps a denial O(1).
    /// </summary>
    public const int MaxRetryAfterSteps = 16;

    /// <summary>The later of <paramref name="now"/> and the time a window state was written for.</summary>
    public static long NotBefore(long now, in RuleState state) =>
        state.Initialized && state.WindowStart > now ? state.WindowStart : now;

    /// <summary>Modulo that is never negative, for times before the epoch on a badly set test clock.</summary>
    public static long Mod(long value, long divisor)
    {
        var r = value % divisor;
        return r < 0 ? r + divisor : r;
    }

    /// <summary>Rounds a non-negative microsecond duration up, so "retry after" never points before the admitting instant.</summary>
    public static long CeilMicros(double micros) => micros <= 0 ? 0 : (long)Math.Ceiling(micros - Epsilon);
}
