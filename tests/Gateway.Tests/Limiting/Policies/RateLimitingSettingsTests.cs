using Gateway.Tests.Support;

namespace Gateway.Tests.Limiting.Policies;

public sealed class RateLimitingSettingsTests
{
    [Fact]
    public void ResolveRules_SubjectWithOverride_GetsTheOverrideWhateverTheTier()
    {
        var settings = Config.Read(Config.Valid());
        var orders = settings.Policies["orders"];

        var free = settings.ResolveRules(orders, "alice", "free");
        var pro = settings.ResolveRules(orders, "alice", "pro");

        Assert.Same(settings.Overrides["alice"]["orders"], free);
        Assert.Same(free, pro);
        var rule = Assert.Single(free.Rules);
        Assert.Equal((50L, TimeSpan.FromMinutes(1)), (rule.Limit, rule.Window));
    }

    [Fact]
    public void ResolveRules_OtherSubjects_GetTheirTiersRules()
    {
        var settings = Config.Read(Config.Valid());
        var orders = settings.Policies["orders"];

        Assert.Same(orders.Tiers["free"], settings.ResolveRules(orders, "bob", "free"));
        Assert.Same(orders.Tiers["pro"], settings.ResolveRules(orders, "bob", "pro"));
        Assert.Same(orders.Tiers["free"], settings.ResolveRules(orders, subject: null, "free"));
    }

    [Fact]
    public void ResolveRules_UnknownTier_FallsBackToTheDefaultTiersRules()
    {
        var settings = Config.Read(Config.Valid());
        var orders = settings.Policies["orders"];

        var rules = settings.ResolveRules(orders, "bob", "platinum");

        Assert.Same(orders.Tiers["free"], rules);
        Assert.Same(orders.DefaultTierRules, orders.RulesForTier(""));
    }

    [Fact]
    public void ResolveRules_OverrideForAnotherPolicy_DoesNotApply()
    {
        var config = Config.Valid();
        config["RateLimiting:Policies:search:Tiers:free:0:Algorithm"] = "FixedWindow";
        config["RateLimiting:Policies:search:Tiers:free:0:Limit"] = "7";
        config["RateLimiting:Policies:search:Tiers:free:0:Window"] = "1h";
        var settings = Config.Read(config);
        var search = settings.Policies["search"];

        var rules = settings.ResolveRules(search, "alice", "free");

        Assert.Same(search.Tiers["free"], rules);
        Assert.Equal("search-1h", rules.Rules[0].Name);
    }
}
