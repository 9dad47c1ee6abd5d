using System.Globalization;

namespace Gateway.LoadTests.Scenarios;

/// <summary>
/// One item of a <c>RateLimit-Policy</c> field (<c>"name";q=100;w=10</c>), so scenarios check against the limits the
/// gateway says it applies.
/// </summary>
public sealed record RateLimitPolicyField(string Name, long Quota, long WindowSeconds, long Burst)
{
    /// <summary>
    /// The most one subject can be admitted in <paramref name="span"/> under this rule, whatever the algorithm: a window
    /// rule admits its quota in every window the span touches (one more than it spans, for the partial ends); a token
    /// bucket its burst plus the refill.
    /// </summary>
    public long AdmissionBound(TimeSpan span) => Burst > 0
        ? Burst + (long)Math.Ceiling(Quota * span.TotalSeconds / WindowSeconds)
        : Quota * ((long)Math.Ceiling(span.TotalSeconds / WindowSeconds) + 1);

    /// <summary>The rule's sustained rate, requests per second.</summary>
    public double RatePerSecond => (double)Quota / WindowSeconds;

    public static IReadOnlyList<RateLimitPolicyField> Parse(HttpResponseMessage response) =>
        response.Headers.TryGetValues("RateLimit-Policy", out var values) ? values.SelectMany(Parse).ToList() : [];

    public static IEnumerable<RateLimitPolicyField> Parse(string field)
    {
        foreach (var item in field.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = item.Split(';', StringSplitOptions.TrimEntries);
            long quota = 0, window = 0, burst = 0;
            foreach (var parameter in parts.Skip(1))
            {
                var pair = parameter.Split('=', 2);
                if (pair.Length == 2 && pair[0] == "q")
                {
                    long.TryParse(pair[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out quota);
                }
                else if (pair.Length == 2 && pair[0] == "w")
                {
                    long.TryParse(pair[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out window);
                }
                else if (pair.Length == 2 && pair[0] == "burst")
                {
                    long.TryParse(pair[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out burst);
                }
            }

            yield return new RateLimitPolicyField(parts[0].Trim('"'), quota, Math.Max(1, window), burst);
        }
    }

    /// <summary>Seconds until the first rule's window resets, from the <c>RateLimit</c> field (<c>"name";r=3;t=7</c>).</summary>
    public static long? ResetSeconds(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("RateLimit", out var values))
        {
            return null;
        }

        var first = values.First().Split(',')[0];
        foreach (var parameter in first.Split(';', StringSplitOptions.TrimEntries))
        {
            if (parameter.StartsWith("t=", StringComparison.Ordinal)
                && long.TryParse(parameter.AsSpan(2), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds))
            {
                return seconds;
            }
        }

        return null;
    }
}
