using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using Gateway.Hosting;
using Gateway.Identity;
using Gateway.Limiting.Leasing;
using Gateway.Limiting.Resilience;
using Gateway.Limiting.Storage;
using Gateway.Proxy;
using Microsoft.Extensions.Configuration;
using static Gateway.Hosting.ConfigurationValues;

namespace Gateway.Limiting.Policies;

/// <summary>
/// Reads and validates the <c>RateLimiting</c> section, and the rate-limit metadata of the proxy's routes, into
/// one snapshot. Every problem is reported with its full key; nothing is half-applied.
/// </summary>
public static class RateLimitingSettingsReader
{
    public const string SectionName = "RateLimiting";

    /// <summary>The longest window accepted: a year covers every quota anyone has asked for and keeps TTLs sane.</summary>
    public static readonly TimeSpan MaxWindow = TimeSpan.FromDays(366);

    private static readonly FrozenSet<string> SectionKeys = Keys("Store", "Identity", "Headers", "Policies", "Overrides", "Admin");
    private static readonly FrozenSet<string> AdminKeys = Keys("RoleClaim", "Role");
    private static readonly FrozenSet<string> IdentityKeys = Keys(
        "SubjectClaim", "TierClaim", "DefaultTier", "Anonymous", "AnonymousTier", "KnownProxies", "KnownNetworks");
    private static readonly FrozenSet<string> HeaderKeys = Keys("Legacy");
    private static readonly FrozenSet<string> PolicyKeys = Keys("Scope", "Anonymous", "Leases", "FailureMode", "RefundBackendFailures", "DryRun", "Tiers");
    private static readonly FrozenSet<string> RuleKeys = Keys("Algorithm", "Limit", "Window", "Burst");

    /// <summary>Reads the settings, or throws <see cref="GatewayConfigurationException"/> naming every bad key.</summary>
    public static RateLimitingSettings Read(IConfiguration configuration) => Read(configuration, RuleSetPool.Empty);

    /// <summary>As <see cref="Read(IConfiguration)"/>, reusing the rule sets of <paramref name="pool"/> that are unchanged.</summary>
    internal static RateLimitingSettings Read(IConfiguration configuration, RuleSetPool pool)
    {
        var errors = new ConfigurationErrors();
        var section = configuration.GetSection(SectionName);
        RejectUnknownKeys(section, SectionKeys, errors);

        var identity = ReadIdentity(section.GetSection("Identity"), errors);
        var store = StoreSettingsReader.Read(section.GetSection("Store"), errors);
        var headers = new RateLimitHeaderSettings(ReadBool(section.GetSection("Headers"), "Legacy", defaultValue: true, errors));
        RejectUnknownKeys(section.GetSection("Headers"), HeaderKeys, errors);

        var policies = ReadPolicies(section.GetSection("Policies"), identity, pool, errors);
        var overrides = ReadOverrides(section.GetSection("Overrides"), policies, pool, errors);
        ValidateRoutes(configuration.GetSection(RouteMetadata.RoutesSection), policies, errors);

        var admin = section.GetSection("Admin");
        RejectUnknownKeys(admin, AdminKeys, errors);
        var adminSettings = new AdminSettings(
            RoleClaim: ReadString(admin, "RoleClaim", AdminSettings.Default.RoleClaim, errors),
            Role: ReadString(admin, "Role", AdminSettings.Default.Role, errors));

        errors.ThrowIfAny();
        return new RateLimitingSettings(identity, store, headers, policies, overrides) { Admin = adminSettings };
    }

    private static IdentitySettings ReadIdentity(IConfigurationSection section, ConfigurationErrors errors)
    {
        RejectUnknownKeys(section, IdentityKeys, errors);
        var defaultTier = ReadString(section, "DefaultTier", "free", errors);

        var proxies = new List<IPAddress>();
        foreach (var child in section.GetSection("KnownProxies").GetChildren())
        {
            if (IPAddress.TryParse(child.Value, out var address))
            {
                proxies.Add(address);
            }
            else
            {
                errors.Add(child, $"is not an IP address: '{child.Value}'");
            }
        }

        var networks = new List<IPNetwork>();
        foreach (var child in section.GetSection("KnownNetworks").GetChildren())
        {
            if (IPNetwork.TryParse(child.Value, out var network))
            {
                networks.Add(network);
            }
            else
            {
                errors.Add(child, $"is not a network in CIDR notation (e.g. 10.0.0.0/8): '{child.Value}'");
            }
        }

        return new IdentitySettings(
            SubjectClaim: ReadString(section, "SubjectClaim", "sub", errors),
            TierClaim: ReadString(section, "TierClaim", "tier", errors),
            DefaultTier: defaultTier,
            Anonymous: ReadEnum<AnonymousAccess>(section, "Anonymous", AnonymousAccess.Ip, errors),
            AnonymousTier: ReadString(section, "AnonymousTier", defaultTier, errors),
            KnownProxies: proxies,
            KnownNetworks: networks);
    }

    private static FrozenDictionary<string, RateLimitPolicy> ReadPolicies(
        IConfigurationSection section, IdentitySettings identity, RuleSetPool pool, ConfigurationErrors errors)
    {
        var policies = new Dictionary<string, RateLimitPolicy>(StringComparer.OrdinalIgnoreCase);
        foreach (var policySection in section.GetChildren())
        {
            RejectUnknownKeys(policySection, PolicyKeys, errors);
            var name = policySection.Key;
            if (!IsValidPolicyName(name))
            {
                // Names appear in headers ("orders-1m") and in Redis keys; keep them to characters safe in both.
                errors.Add(policySection, "policy names may use only letters, digits, '.', '-' and '_'");
            }

            var scope = ReadEnum<PolicyScope>(policySection, "Scope", PolicyScope.Subject, errors);
            var anonymous = ReadEnum<AnonymousAccess>(policySection, "Anonymous", identity.Anonymous, errors);
            var leases = ReadBool(policySection, "Leases", defaultValue: true, errors);
            var failureMode = ReadEnum<FailureMode>(policySection, "FailureMode", FailureMode.LocalFallback, errors);
            var refundBackendFailures = ReadBool(policySection, "RefundBackendFailures", defaultValue: false, errors);
            var dryRun = ReadBool(policySection, "DryRun", defaultValue: false, errors);

            var tiers = new Dictionary<string, RuleSet>(StringComparer.OrdinalIgnoreCase);
            var tiersSection = policySection.GetSection("Tiers");
            foreach (var tierSection in tiersSection.GetChildren())
            {
                var rules = ReadRuleSet(tierSection, name, $"tier:{tierSection.Key}", errors);
                if (rules is not null)
                {
                    tiers[tierSection.Key] = pool.Reuse(rules);
                }
            }

            if (!tiersSection.GetChildren().Any())
            {
                errors.Add(tiersSection, "is required: a policy needs rules for at least the default tier");
                continue;
            }

            if (!tiers.TryGetValue(identity.DefaultTier, out var defaultRules))
            {
                // A tier the policy does not name falls back to the default tier; without one there is nothing safe to apply.
                if (!tiersSection.GetSection(identity.DefaultTier).GetChildren().Any())
                {
                    errors.Add(tiersSection, $"has no rules for the default tier '{identity.DefaultTier}' (RateLimiting:Identity:DefaultTier)");
                }

                continue;
            }

            policies[name] = new RateLimitPolicy(name, scope, anonymous, tiers.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase), defaultRules, leases, failureMode, refundBackendFailures, dryRun);
        }

        return policies.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
    }

    private static FrozenDictionary<string, FrozenDictionary<string, RuleSet>> ReadOverrides(
        IConfigurationSection section, FrozenDictionary<string, RateLimitPolicy> policies, RuleSetPool pool, ConfigurationErrors errors)
    {
        var overrides = new Dictionary<string, FrozenDictionary<string, RuleSet>>(StringComparer.OrdinalIgnoreCase);
        foreach (var subjectSection in section.GetChildren())
        {
            var bySubject = new Dictionary<string, RuleSet>(StringComparer.OrdinalIgnoreCase);
            foreach (var policySection in subjectSection.GetChildren())
            {
                if (!policies.TryGetValue(policySection.Key, out var policy))
                {
                    errors.Add(policySection, $"names no policy defined under RateLimiting:Policies");
                    continue;
                }

                var rules = ReadRuleSet(policySection, policy.Name, "override", errors);
                if (rules is not null)
                {
                    bySubject[policy.Name] = pool.Reuse(rules);
                }
            }

            overrides[subjectSection.Key] = bySubject.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        }

        return overrides.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Reads a list of rules; null (with errors recorded) when any rule is bad.</summary>
    internal static RuleSet? ReadRuleSet(IConfigurationSection listSection, string policyName, string source, ConfigurationErrors errors)
    {
        var ruleSections = listSection.GetChildren().ToList();
        if (ruleSections.Count == 0)
        {
            errors.Add(listSection, "must be a list of at least one rule");
            return null;
        }

        var specs = new List<(RateLimitAlgorithm Algorithm, long Limit, TimeSpan Window, long Burst, IConfigurationSection Section)>();
        var valid = true;
        foreach (var ruleSection in ruleSections)
        {
            if (!int.TryParse(ruleSection.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                errors.Add(ruleSection, "must be a list (JSON array) of rules");
                valid = false;
                continue;
            }

            var count = errors.Count;
            RejectUnknownKeys(ruleSection, RuleKeys, errors);
            var algorithm = ReadEnum<RateLimitAlgorithm>(ruleSection, "Algorithm", defaultValue: null, errors);
            var limit = ReadPositiveLong(ruleSection, "Limit", defaultValue: null, errors);
            var window = ReadDuration(ruleSection, "Window", defaultValue: null, MaxWindow, errors);
            long burst = limit;
            if (ruleSection["Burst"] is not null)
            {
                if (algorithm != RateLimitAlgorithm.TokenBucket)
                {
                    errors.Add(ConfigurationValues.Combine(ruleSection.Path, "Burst"), "applies only to the TokenBucket algorithm");
                }

                burst = ReadPositiveLong(ruleSection, "Burst", defaultValue: null, errors);
            }

            if (errors.Count != count)
            {
                valid = false;
                continue;
            }

            specs.Add((algorithm, limit, window, burst, ruleSection));
        }

        var seen = new HashSet<(RateLimitAlgorithm, TimeSpan)>();
        foreach (var spec in specs)
        {
            if (!seen.Add((spec.Algorithm, spec.Window)))
            {
                errors.Add(spec.Section, $"repeats a {spec.Algorithm} rule over {DurationFormat.Format(spec.Window)} in the same list; merge them into one rule");
                valid = false;
            }
        }

        if (!valid)
        {
            return null;
        }

        var rules = specs.Select(spec =>
        {
            var windowShared = specs.Count(other => other.Window == spec.Window) > 1;
            var name = RuleSet.RuleName(policyName, spec.Algorithm, spec.Window, windowShared);
            return new RateLimitRule(name, spec.Algorithm, spec.Limit, spec.Window, spec.Burst);
        }).ToImmutableArray();
        return new RuleSet(policyName, source, rules);
    }

    private static void ValidateRoutes(IConfigurationSection routes, FrozenDictionary<string, RateLimitPolicy> policies, ConfigurationErrors errors)
    {
        foreach (var route in routes.GetChildren())
        {
            var metadata = route.GetSection("Metadata");
            // Empty means "not limited", as for the proxy (RouteRateLimitBinding): an environment variable can switch
            // a route's limiting off without deleting the key from the files.
            var policyName = string.IsNullOrWhiteSpace(metadata[RouteMetadata.PolicyKey]) ? null : metadata[RouteMetadata.PolicyKey]!.Trim();
            var cost = 1L;
            if (metadata[RouteMetadata.CostKey] is not null)
            {
                cost = ReadPositiveLong(metadata, RouteMetadata.CostKey, defaultValue: null, errors);
                if (policyName is null)
                {
                    errors.Add(ConfigurationValues.Combine(metadata.Path, RouteMetadata.CostKey), $"is set but the route names no {RouteMetadata.PolicyKey}");
                }
            }

            if (policyName is null)
            {
                continue;
            }

            var key = ConfigurationValues.Combine(metadata.Path, RouteMetadata.PolicyKey);
            if (!policies.TryGetValue(policyName, out var policy))
            {
                errors.Add(key, $"names policy '{policyName}', which is not defined under RateLimiting:Policies");
                continue;
            }

            foreach (var (tier, rules) in policy.Tiers)
            {
                foreach (var rule in rules.Rules.Where(rule => cost > rule.Capacity))
                {
                    errors.Add(
                        ConfigurationValues.Combine(metadata.Path, RouteMetadata.CostKey),
                        $"cost {cost} exceeds the capacity {rule.Capacity} of rule '{rule.Name}' (tier {tier}): no request could ever be admitted");
                }
            }
        }
    }

    private static bool IsValidPolicyName(string name) =>
        name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_');
}
