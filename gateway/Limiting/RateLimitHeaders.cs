using System.Globalization;
using System.Text;
using Gateway.Limiting.Storage;
using Microsoft.Net.Http.Headers;

namespace Gateway.Limiting;

/// <summary>
/// Writes the IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers-10) and, behind a switch, the legacy
/// <c>X-RateLimit-*</c> ones. Times are whole seconds rounded up, so a client that waits what it is told is never early.
/// </summary>
public static class RateLimitHeaders
{
    public const string Policy = "RateLimit-Policy";
    public const string RateLimit = "RateLimit";
    public const string LegacyLimit = "X-RateLimit-Limit";
    public const string LegacyRemaining = "X-RateLimit-Remaining";
    public const string LegacyReset = "X-RateLimit-Reset";

    public static void Write(IHeaderDictionary headers, RateLimitDecision decision, bool legacy)
    {
        headers[Policy] = decision.Rules.PolicyHeaderValue;
        headers[RateLimit] = FormatRateLimit(decision);

        if (legacy)
        {
            var rule = decision.DecidingRule;
            var result = decision.DecidingResult;
            headers[LegacyLimit] = rule.Limit.ToString(CultureInfo.InvariantCulture);
            headers[LegacyRemaining] = result.Remaining.ToString(CultureInfo.InvariantCulture);
            headers[LegacyReset] = CeilSeconds(result.ResetAfter).ToString(CultureInfo.InvariantCulture);
        }

        if (!decision.Allowed)
        {
            headers[HeaderNames.RetryAfter] = RetryAfterSeconds(decision).ToString(CultureInfo.InvariantCulture);
        }
    }

    /// <summary>Whole seconds until the request would be admitted: rounded up, and at least 1 (RFC 9110 delay-seconds).</summary>
    public static long RetryAfterSeconds(RateLimitDecision decision) => Math.Max(1, CeilSeconds(decision.RetryAfterMicroseconds));

    public static string FormatRateLimit(RateLimitDecision decision)
    {
        var builder = new StringBuilder(48 * decision.Rules.Rules.Length);
        for (var i = 0; i < decision.Rules.Rules.Length; i++)
        {
            if (i > 0)
            {
                builder.Append(", ");
            }

            var result = decision.Result(i);
            builder.Append('"').Append(decision.Rules.Rules[i].Name).Append("\";r=")
                .Append(result.Remaining.ToString(CultureInfo.InvariantCulture))
                .Append(";t=")
                .Append(CeilSeconds(result.ResetAfter).ToString(CultureInfo.InvariantCulture));
        }

        return builder.ToString();
    }

    public static long CeilSeconds(long microseconds) =>
        microseconds <= 0 ? 0 : (microseconds + 999_999) / 1_000_000;
}
