using System.Collections.Frozen;
using System.Globalization;
using Gateway.Limiting.Policies;
using Microsoft.Extensions.Configuration;

namespace Gateway.Hosting;

/// <summary>
/// Typed reads of configuration values that report a bad value with its key instead of throwing a binder
/// exception, so one read can name every problem and a bad reload can be refused without side effects.
/// </summary>
internal static class ConfigurationValues
{
    public static string ReadString(IConfigurationSection section, string key, string defaultValue, ConfigurationErrors errors)
    {
        var value = section[key];
        if (value is null)
        {
            return defaultValue;
        }

        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add(Combine(section.Path, key), "must not be empty");
            return defaultValue;
        }

        return value.Trim();
    }

    public static long ReadPositiveLong(IConfigurationSection section, string key, long? defaultValue, ConfigurationErrors errors)
    {
        var value = section[key];
        var path = Combine(section.Path, key);
        if (value is null)
        {
            if (defaultValue is null)
            {
                errors.Add(path, "is required (a positive integer)");
                return 1;
            }

            return defaultValue.Value;
        }

        if (!long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) || number < 1)
        {
            errors.Add(path, $"must be a positive integer, got '{value}'");
            return 1;
        }

        return number;
    }

    /// <summary>A number in (0, 1], such as a ratio.</summary>
    public static double ReadFraction(IConfigurationSection section, string key, double defaultValue, ConfigurationErrors errors)
    {
        var value = section[key];
        if (value is null)
        {
            return defaultValue;
        }

        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || !(number > 0 && number <= 1))
        {
            errors.Add(Combine(section.Path, key), $"must be a number above 0 and at most 1, got '{value}'");
            return defaultValue;
        }

        return number;
    }

    public static bool ReadBool(IConfigurationSection section, string key, bool defaultValue, ConfigurationErrors errors)
    {
        var value = section[key];
        if (value is null)
        {
            return defaultValue;
        }

        if (!bool.TryParse(value, out var flag))
        {
            errors.Add(Combine(section.Path, key), $"must be true or false, got '{value}'");
            return defaultValue;
        }

        return flag;
    }

    public static TEnum ReadEnum<TEnum>(IConfigurationSection section, string key, TEnum? defaultValue, ConfigurationErrors errors)
        where TEnum : struct, Enum
    {
        var value = section[key];
        var path = Combine(section.Path, key);
        var allowed = string.Join(", ", Enum.GetNames<TEnum>());
        if (value is null)
        {
            if (defaultValue is null)
            {
                errors.Add(path, $"is required (one of {allowed})");
                return default;
            }

            return defaultValue.Value;
        }

        // Numbers are refused: "1" parsing as an enum value is a surprise nobody wants in a limit config.
        if (!Enum.TryParse<TEnum>(value, ignoreCase: true, out var parsed) || char.IsAsciiDigit(value.TrimStart('-')[0]) || !Enum.IsDefined(parsed))
        {
            errors.Add(path, $"must be one of {allowed}, got '{value}'");
            return defaultValue ?? default;
        }

        return parsed;
    }

    public static TimeSpan ReadDuration(IConfigurationSection section, string key, TimeSpan? defaultValue, TimeSpan max, ConfigurationErrors errors)
    {
        var value = section[key];
        var path = Combine(section.Path, key);
        if (value is null)
        {
            if (defaultValue is null)
            {
                errors.Add(path, "is required (a duration such as 1s, 1m, 1h, 1d, 500ms)");
                return TimeSpan.FromSeconds(1);
            }

            return defaultValue.Value;
        }

        if (!DurationFormat.TryParse(value, out var duration))
        {
            errors.Add(path, $"is not a duration: '{value}' (use 1s, 1m, 1h, 1d, 500ms or hh:mm:ss)");
            return TimeSpan.FromSeconds(1);
        }

        if (duration < TimeSpan.FromMilliseconds(1) || duration.Ticks % TimeSpan.TicksPerMillisecond != 0)
        {
            errors.Add(path, $"must be a positive whole number of milliseconds, got '{value}'");
            return TimeSpan.FromSeconds(1);
        }

        if (duration > max)
        {
            errors.Add(path, $"must be at most {DurationFormat.Format(max)}, got '{value}'");
            return max;
        }

        return duration;
    }

    /// <summary>The keys a section may hold, compared as configuration compares them (case-insensitively).</summary>
    public static FrozenSet<string> Keys(params string[] keys) => keys.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>Reports keys of a section that the gateway does not know: a typo ("Limt") must not silently mean "default".</summary>
    public static void RejectUnknownKeys(IConfigurationSection section, IReadOnlySet<string> knownKeys, ConfigurationErrors errors)
    {
        foreach (var child in section.GetChildren())
        {
            if (!knownKeys.Contains(child.Key))
            {
                errors.Add(child, $"is not a known setting (expected one of {string.Join(", ", knownKeys)})");
            }
        }
    }

    public static string Combine(string parentPath, string key) =>
        parentPath.Length == 0 ? key : ConfigurationPath.Combine(parentPath, key);
}
