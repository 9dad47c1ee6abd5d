using System.Globalization;

namespace Gateway.Limiting.Policies;

/// <summary>Parses and prints the window durations of the config: <c>1s</c>, <c>500ms</c>, <c>1m</c>, <c>1h</c>, <c>1d</c>, or a TimeSpan.</summary>
public static class DurationFormat
{
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var s = text.Trim();
        var unitStart = 0;
        while (unitStart < s.Length && char.IsAsciiDigit(s[unitStart]))
        {
            unitStart++;
        }

        if (unitStart > 0 && unitStart < s.Length
            && long.TryParse(s.AsSpan(0, unitStart), NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
        {
            var ticksPerUnit = s[unitStart..] switch
            {
                "ms" => TimeSpan.TicksPerMillisecond,
                "s" => TimeSpan.TicksPerSecond,
                "m" => TimeSpan.TicksPerMinute,
                "h" => TimeSpan.TicksPerHour,
                "d" => TimeSpan.TicksPerDay,
                _ => 0,
            };
            // An unknown unit is not a failure yet: "00:01:30" also starts with digits.
            if (ticksPerUnit != 0)
            {
                if (amount > TimeSpan.MaxValue.Ticks / ticksPerUnit)
                {
                    return false;
                }

                duration = TimeSpan.FromTicks(amount * ticksPerUnit);
                return true;
            }
        }

        // "00:01:00" and other TimeSpan forms, for users who prefer .NET's own notation.
        return s.Contains(':', StringComparison.Ordinal)
            && TimeSpan.TryParse(s, CultureInfo.InvariantCulture, out duration);
    }

    public static string Format(TimeSpan duration)
    {
        var ticks = duration.Ticks;
        if (ticks % TimeSpan.TicksPerDay == 0)
        {
            return Invariant(ticks / TimeSpan.TicksPerDay, "d");
        }

        if (ticks % TimeSpan.TicksPerHour == 0)
        {
            return Invariant(ticks / TimeSpan.TicksPerHour, "h");
        }

        if (ticks % TimeSpan.TicksPerMinute == 0)
        {
            return Invariant(ticks / TimeSpan.TicksPerMinute, "m");
        }

        if (ticks % TimeSpan.TicksPerSecond == 0)
        {
            return Invariant(ticks / TimeSpan.TicksPerSecond, "s");
        }

        return Invariant(ticks / TimeSpan.TicksPerMillisecond, "ms");
    }

    private static string Invariant(long value, string unit) => value.ToString(CultureInfo.InvariantCulture) + unit;
}
