using Gateway.Limiting.Leasing;
using Gateway.Limiting.Policies;
using Gateway.Limiting.Storage;
using Gateway.Tests.Support;

namespace Gateway.Tests.Limiting.Policies;

/// <summary>Reading valid configurations. Refused ones: <see cref="RateLimitingSettingsReaderValidationTests"/>.</summary>
public sealed class RateLimitingSettingsReaderTests
{
    [Fact]
    public void Read_ValidConfig_ParsesEveryRuleWithLimitWindowAndBurst()
    {
        var settings = Config.Read(Config.Valid());

        var orders = settings.Policies["orders"];
        var free = orders.Tiers["free"].Rules;
        Assert.Equal(2, free.Length);
        Assert.Equal((RateLimitAlgorithm.TokenBucket, 5L, TimeSpan.FromSeconds(1), 10L), (free[0].Algorithm, free[0].Limit, free[0].Window, free[0].Burst));
        Assert.Equal((RateLimitAlgorithm.FixedWindow, 1000L, TimeSpan.FromDays(1), 1000L), (free[1].Algorithm, free[1].Limit, free[1].Window, free[1].Burst));
        var pro = Assert.Single(orders.Tiers["pro"].Rules);
        Assert.Equal((RateLimitAlgorithm.SlidingWindow, 100L, TimeSpan.FromSeconds(1)), (pro.Algorithm, pro.Limit, pro.Window));
    }

    [Fact]
    public void Read_ValidConfig_NamesRulesByPolicyAndWindow()
    {
        var settings = Config.Read(Config.Valid());

        var orders = settings.Policies["orders"];
        Assert.Equal(["orders-1s", "orders-1d"], orders.Tiers["free"].Rules.Select(r => r.Name));
        Assert.Equal("orders-1m", Assert.Single(settings.Overrides["alice"]["orders"].Rules).Name);
        Assert.Equal("\"orders-1s\";q=5;w=1;burst=10, \"orders-1d\";q=1000;w=86400", orders.Tiers["free"].PolicyHeaderValue);
    }

    [Fact]
    public void Read_TwoRulesShareAWindow_DisambiguatesTheirNamesByAlgorithm()
    {
        var config = Config.Valid();
        config["RateLimiting:Policies:orders:Tiers:free:1:Window"] = "1s";

        var free = Config.Read(config).Policies["orders"].Tiers["free"];

        Assert.Equal(["orders-1s-tb", "orders-1s-fw"], free.Rules.Select(r => r.Name));
    }

    [Fact]
    public void Read_ValidConfig_RecordsPolicyNameAndSourceOfEachRuleSet()
    {
        var settings = Config.Read(Config.Valid());

        var orders = settings.Policies["orders"];
        Assert.Equal(("orders", "tier:free"), (orders.Tiers["free"].PolicyName, orders.Tiers["free"].Source));
        Assert.Equal(("orders", "override"), (settings.Overrides["alice"]["orders"].PolicyName, settings.Overrides["alice"]["orders"].Source));
        Assert.Same(orders.Tiers["free"], orders.DefaultTierRules);
    }

    [Fact]
    public void Read_DefaultsOmitted_UsesDocumentedDefaults()
    {
        var settings = Config.Read(Config.Valid());

        Assert.Equal(PolicyScope.Subject, settings.Policies["orders"].Scope);
        Assert.Equal(AnonymousAccess.Ip, settings.Policies["orders"].Anonymous);
        Assert.Equal(new StoreSettings(StoreKind.InMemory, 200_000, null, "rl:", LeaseSettings.Default), settings.Store);
        Assert.Equal(new LeaseSettings(true, 1000, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), 100_000), settings.Store.Leases);
        Assert.True(settings.Policies["orders"].Leases);
        Assert.True(settings.Headers.Legacy);
        Assert.Equal(("sub", "tier", "free", "free"), (settings.Identity.SubjectClaim, settings.Identity.TierClaim, settings.Identity.DefaultTier, settings.Identity.AnonymousTier));
    }

    [Fact]
    public void Read_ExplicitSettings_AreHonoured()
    {
        var config = Config.Valid();
        config["RateLimiting:Policies:orders:Scope"] = "Global";
        config["RateLimiting:Policies:orders:Anonymous"] = "Reject";
        config["RateLimiting:Store:InMemory:MaxPartitions"] = "5000";
        config["RateLimiting:Headers:Legacy"] = "false";
        config["RateLimiting:Identity:KnownProxies:0"] = "10.0.0.1";
        config["RateLimiting:Identity:KnownNetworks:0"] = "192.168.0.0/16";

        var settings = Config.Read(config);

        Assert.Equal(PolicyScope.Global, settings.Policies["orders"].Scope);
        Assert.Equal(AnonymousAccess.Reject, settings.Policies["orders"].Anonymous);
        Assert.Equal(5000, settings.Store.InMemoryMaxPartitions);
        Assert.False(settings.Headers.Legacy);
        Assert.Equal("10.0.0.1", Assert.Single(settings.Identity.KnownProxies).ToString());
        Assert.Equal("192.168.0.0/16", Assert.Single(settings.Identity.KnownNetworks).ToString());
    }

    [Fact]
    public void Read_WindowInTimeSpanNotation_IsAccepted()
    {
        var config = Config.Valid();
        config["RateLimiting:Policies:orders:Tiers:pro:0:Window"] = "00:01:30";

        var rule = Config.Read(config).Policies["orders"].Tiers["pro"].Rules[0];

        Assert.Equal(TimeSpan.FromSeconds(90), rule.Window);
        Assert.Equal("orders-90s", rule.Name);
    }

    [Fact]
    public void Read_RouteCostWithinEveryCapacity_IsAccepted()
    {
        var config = Config.Valid();
        config["ReverseProxy:Routes:r1:Metadata:RateLimitCost"] = "10";

        var settings = Config.Read(config);

        Assert.True(settings.Policies.ContainsKey("orders"));
    }

    [Fact]
    public void Read_PolicyAndTierNames_AreCaseInsensitive()
    {
        var settings = Config.Read(Config.Valid());

        Assert.Same(settings.Policies["orders"], settings.Policies["ORDERS"]);
        Assert.Same(settings.Policies["orders"].Tiers["pro"], settings.Policies["orders"].RulesForTier("Pro"));
    }
}
