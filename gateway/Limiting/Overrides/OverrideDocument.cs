using System.Collections.Frozen;
using System.Globalization;
using System.Text;
using Gateway.Hosting;
using Gateway.Limiting.Policies;
using Microsoft.Extensions.Configuration;

namespace Gateway.Limiting.Overrides;

/// <summary>
/// Reads an override document: <c>{ "Policies": { "orders": [ rules ] }, "ExpiresAt": "2030-01-01T00:00:00Z" }</c>.
/// The rules are read by the same code as <c>appsettings.json</c>, so the API accepts exactly what the file does and
/// names a bad field the same way (<c>Policies:orders:0:Window</c>).
/// </summary>
internal static class OverrideDocument
{
    public static RuntimeOverride? Parse(string subject, string json, RateLimitingSettings settings, ConfigurationErrors errors)
    {
        IConfigurationRoot document;
        try
        {
            document = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or System.Text.Json.JsonException)
        {
            errors.Add("body", "is not a JSON object: " + e.Message);
            return null;
        }

        foreach (var key in document.GetChildren().Select(static c => c.Key))
        {
            if (!key.Equals("Policies", StringComparison.OrdinalIgnoreCase) && !key.Equals("ExpiresAt", StringComparison.OrdinalIgnoreCase))
            {
                errors.Add(key, "is not a known field (expected Policies, ExpiresAt)");
            }
        }

        DateTimeOffset? expiresAt = null;
        if (document["ExpiresAt"] is { Length: > 0 } expiry)
        {
            if (DateTimeOffset.TryParse(expiry, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                expiresAt = parsed.ToUniversalTime();
            }
            else
            {
                errors.Add("ExpiresAt", $"is not a date and time (ISO 8601, e.g. 2030-01-01T00:00:00Z): '{expiry}'");
            }
        }

        var policies = new Dictionary<string, RuleSet>(StringComparer.OrdinalIgnoreCase);
        var section = document.GetSection("Policies");
        foreach (var policySection in section.GetChildren())
        {
            if (!settings.Policies.TryGetValue(policySection.Key, out var policy))
            {
                errors.Add(policySection.Path, $"names policy '{policySection.Key}', which is not defined");
                continue;
            }

            if (RateLimitingSettingsReader.ReadRuleSet(policySection, policy.Name, "runtime-override", errors) is { } rules)
            {
                policies[policy.Name] = rules;
            }
        }

        if (policies.Count == 0 && !errors.Any)
        {
            errors.Add("Policies", "is required: rules for at least one policy");
        }

        return errors.Any ? null : new RuntimeOverride(subject, policies.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase), expiresAt, json);
    }
}
