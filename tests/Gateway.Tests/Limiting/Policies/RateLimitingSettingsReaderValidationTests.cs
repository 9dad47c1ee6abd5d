using Gateway.Tests.Support;

namespace Gateway.Tests.Limiting.Policies;

/// <summary>Configurations the reader must refuse, each error naming its full key (DESIGN.md section 4).</summary>
public sealed class RateLimitingSettingsReaderValidationTests
{
    private const string FreeRule = "RateLimiting:Policies:orders:Tiers:free:0";
    private const string FreeDayRule = "RateLimiting:Policies:orders:Tiers:free:1";

    [Fact]
    public void Read_RouteNamesUnknownPolicy_NamesTheRouteMetadataKey()
    {
        var config = Config.Valid();
        config["ReverseProxy:Routes:r1:Metadata:RateLimitPolicy"] = "ordres";

        var error = Config.ReadInvalid(config);

        Config.AssertError(error, "ReverseProxy:Routes:r1:Metadata:RateLimitPolicy", "names policy 'ordres', which is not defined");
        Assert.Single(error.Errors);
    }

    [Fact]
    public void Read_UnknownAlgorithm_NamesTheAlgorithmKey()
    {
        var config = Config.Valid();
        config[$"{FreeRule}:Algorithm"] = "LeakyBucket";

        var error = Config.ReadInvalid(config);

        Config.AssertError(error, $"{FreeRule}:Algorithm", "must be one of FixedWindow, SlidingWindow, TokenBucket, got 'LeakyBucket'");
    }

    [Fact]
    public void Read_AlgorithmGivenAsNumber_IsRefused()
    {
        var config = Config.Valid();
        config[$"{FreeRule}:Algorithm"] = "1";

        Config.AssertError(Config.ReadInvalid(config), $"{FreeRule}:Algorithm", "must be one of");
    }

    [Fact]
    public void Read_MissingAlgorithm_NamesTheAlgorithmKey()
    {
        var config = Config.Valid();
        config.Remove($"{FreeDayRule}:Algorithm");

        Config.AssertError(Config.ReadInvalid(config), $"{FreeDayRule}:Algorithm", "is required");
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("ten")]
    [InlineData("1.5")]
    public void Read_NonPositiveOrNonIntegerLimit_NamesTheLimitKey(string limit)
    {
        var config = Config.Valid();
        config[$"{FreeDayRule}:Limit"] = limit;

        Config.AssertError(Config.ReadInvalid(config), $"{FreeDayRule}:Limit", $"must be a positive integer, got '{limit}'");
    }

    [Fact]
    public void Read_ZeroWindow_NamesTheWindowKey()
    {
        var config = Config.Valid();
        config[$"{FreeRule}:Window"] = "0s";

        Config.AssertError(Config.ReadInvalid(config), $"{FreeRule}:Window", "must be a positive whole number of milliseconds, got '0s'");
    }

    [Fact]
    public void Read_MalformedWindow_NamesTheWindowKey()
    {
        var config = Config.Valid();
        config[$"{FreeRule}:Window"] = "abc";

        Config.AssertError(Config.ReadInvalid(config), $"{FreeRule}:Window", "is not a duration: 'abc'");
    }

    [Fact]
    public void Read_SubMillisecondWindow_IsRefused()
    {
        var config = Config.Valid();
        config[$"{FreeRule}:Window"] = "00:00:00.0005";

        Config.AssertError(Config.ReadInvalid(config), $"{FreeRule}:Window", "must be a positive whole number of milliseconds");
    }

    [Fact]
    public void Read_WindowLongerThanAYear_IsRefused()
    {
        var config = Config.Valid();
        config[$"{FreeDayRule}:Window"] = "367d";

        Config.AssertError(Config.ReadInvalid(config), $"{FreeDayRule}:Window", "must be at most 366d, got '367d'");
    }

    [Fact]
    public void Read_ZeroBurst_NamesTheBurstKey()
    {
        var config = Config.Valid();
        config[$"{FreeRule}:Burst"] = "0";

        Config.AssertError(Config.ReadInvalid(config), $"{FreeRule}:Burst", "must be a positive integer, got '0'");
    }

    [Fact]
    public void Read_BurstOnAFixedWindowRule_NamesTheBurstKey()
    {
        var config = Config.Valid();
        config[$"{FreeDayRule}:Burst"] = "2000";

        Config.AssertError(Config.ReadInvalid(config), $"{FreeDayRule}:Burst", "applies only to the TokenBucket algorithm");
    }

    [Fact]
    public void Read_BurstOnASlidingWindowRule_NamesTheBurstKey()
    {
        var config = Config.Valid();
        config["RateLimiting:Policies:orders:Tiers:pro:0:Burst"] = "200";

        Config.AssertError(Config.ReadInvalid(config), "RateLimiting:Policies:orders:Tiers:pro:0:Burst", "applies only to the TokenBucket algorithm");
    }

    [Fact]
    public void Read_PolicyWithoutTheDefaultTier_NamesTheTiersKey()
    {
        var config = Config.Valid();
        foreach (var key in config.Keys.Where(k => k.StartsWith("RateLimiting:Policies:orders:Tiers:free:", StringComparison.Ordinal)).ToList())
        {
            config.Remove(key);
        }

        var error = Config.ReadInvalid(config);

        Config.AssertError(error, "RateLimiting:Policies:orders:Tiers", "has no rules for the default tier 'free'");
    }

    [Fact]
    public void Read_ConfiguredDefaultTierMissingFromAPolicy_NamesTheTiersKey()
    {
        var config = Config.Valid();
        config["RateLimiting:Identity:DefaultTier"] = "basic";

        Config.AssertError(Config.ReadInvalid(config), "RateLimiting:Policies:orders:Tiers", "has no rules for the default tier 'basic'");
    }

    [Fact]
    public void Read_PolicyWithoutTiers_NamesTheTiersKey()
    {
        var config = Config.Valid();
        config["RateLimiting:Policies:search:Scope"] = "Global";

        Config.AssertError(Config.ReadInvalid(config), "RateLimiting:Policies:search:Tiers", "is required");
    }

    [Fact]
    public void Read_TypoInARuleKey_NamesTheUnknownKeyAndTheMissingOne()
    {
        var config = Config.Valid();
        config.Remove($"{FreeDayRule}:Limit");
        config[$"{FreeDayRule}:Limt"] = "1000";

        var error = Config.ReadInvalid(config);

        Config.AssertError(error, $"{FreeDayRule}:Limt", "is not a known setting");
        Config.AssertError(error, $"{FreeDayRule}:Limit", "is required");
    }

    [Theory]
    [InlineData("RateLimiting:Polices:orders:Scope", "RateLimiting:Polices")]
    [InlineData("RateLimiting:Policies:orders:Scoop", "RateLimiting:Policies:orders:Scoop")]
    [InlineData("RateLimiting:Store:Knd", "RateLimiting:Store:Knd")]
    [InlineData("RateLimiting:Store:InMemory:MaxPartition", "RateLimiting:Store:InMemory:MaxPartition")]
    [InlineData("RateLimiting:Identity:SubjectClam", "RateLimiting:Identity:SubjectClam")]
    [InlineData("RateLimiting:Headers:Legasy", "RateLimiting:Headers:Legasy")]
    public void Read_TypoInASectionKey_NamesTheUnknownKey(string key, string reportedKey)
    {
        var config = Config.Valid();
        config[key] = "1";

        Config.AssertError(Config.ReadInvalid(config), reportedKey, "is not a known setting");
    }

    [Fact]
    public void Read_OverrideNamesUnknownPolicy_NamesTheOverrideKey()
    {
        var config = Config.Valid();
        config["RateLimiting:Overrides:bob:search:0:Algorithm"] = "FixedWindow";
        config["RateLimiting:Overrides:bob:search:0:Limit"] = "5";
        config["RateLimiting:Overrides:bob:search:0:Window"] = "1m";

        Config.AssertError(Config.ReadInvalid(config), "RateLimiting:Overrides:bob:search", "names no policy defined under RateLimiting:Policies");
    }

    [Fact]
    public void Read_BadRuleInAnOverride_NamesTheOverrideRuleKey()
    {
        var config = Config.Valid();
        config["RateLimiting:Overrides:alice:orders:0:Limit"] = "0";

        Config.AssertError(Config.ReadInvalid(config), "RateLimiting:Overrides:alice:orders:0:Limit", "must be a positive integer");
    }

    [Fact]
    public void Read_RouteCostAboveEveryRulesCapacity_NamesTheCostKey()
    {
        var config = Config.Valid();
        config["ReverseProxy:Routes:r1:Metadata:RateLimitCost"] = "5000";

        var error = Config.ReadInvalid(config);

        Config.AssertError(error, "ReverseProxy:Routes:r1:Metadata:RateLimitCost", "cost 5000 exceeds the capacity 10 of rule 'orders-1s' (tier free)");
        Config.AssertError(error, "ReverseProxy:Routes:r1:Metadata:RateLimitCost", "cost 5000 exceeds the capacity 1000 of rule 'orders-1d' (tier free)");
        Config.AssertError(error, "ReverseProxy:Routes:r1:Metadata:RateLimitCost", "cost 5000 exceeds the capacity 100 of rule 'orders-1s' (tier pro)");
    }

    [Fact]
    public void Read_RouteCostAboveOneTiersBurst_NamesThatRule()
    {
        var config = Config.Valid();
        config["ReverseProxy:Routes:r1:Metadata:RateLimitCost"] = "11";

        var error = Config.ReadInvalid(config);

        Config.AssertError(error, "ReverseProxy:Routes:r1:Metadata:RateLimitCost", "cost 11 exceeds the capacity 10 of rule 'orders-1s' (tier free)");
        Assert.Single(error.Errors);
    }

    [Fact]
    public void Read_RouteCostWithoutPolicy_NamesTheCostKey()
    {
        var config = Config.Valid();
        config["ReverseProxy:Routes:plain:Metadata:RateLimitCost"] = "2";

        Config.AssertError(Config.ReadInvalid(config), "ReverseProxy:Routes:plain:Metadata:RateLimitCost", "is set but the route names no RateLimitPolicy");
    }

    [Fact]
    public void Read_NonPositiveRouteCost_NamesTheCostKey()
    {
        var config = Config.Valid();
        config["ReverseProxy:Routes:r1:Metadata:RateLimitCost"] = "0";

        Config.AssertError(Config.ReadInvalid(config), "ReverseProxy:Routes:r1:Metadata:RateLimitCost", "must be a positive integer, got '0'");
    }

    [Fact]
    public void Read_SameAlgorithmAndWindowTwiceInOneList_NamesTheRepeatedRule()
    {
        var config = Config.Valid();
        config[$"{FreeDayRule}:Algorithm"] = "TokenBucket";
        config[$"{FreeDayRule}:Window"] = "1s";

        Config.AssertError(Config.ReadInvalid(config), FreeDayRule, "repeats a TokenBucket rule over 1s");
    }

    [Fact]
    public void Read_RulesNotAList_NamesTheEntry()
    {
        var config = Config.Valid();
        config["RateLimiting:Policies:orders:Tiers:pro:first:Algorithm"] = "FixedWindow";

        Config.AssertError(Config.ReadInvalid(config), "RateLimiting:Policies:orders:Tiers:pro:first", "must be a list (JSON array) of rules");
    }

    [Fact]
    public void Read_BadScopeAndStoreKind_NameTheirKeys()
    {
        var config = Config.Valid();
        config["RateLimiting:Policies:orders:Scope"] = "Everyone";
        config["RateLimiting:Store:Kind"] = "Memcached";

        var error = Config.ReadInvalid(config);

        Config.AssertError(error, "RateLimiting:Policies:orders:Scope", "must be one of Subject, Global, got 'Everyone'");
        Config.AssertError(error, "RateLimiting:Store:Kind", "must be one of InMemory, Redis, got 'Memcached'");
    }

    [Theory]
    [InlineData("127.0.0.1:6379,foo=bar", "is not a StackExchange.Redis configuration string: Keyword 'foo' is not supported")]
    [InlineData("127.0.0.1:6379,connectTimeout=soon", "is not a StackExchange.Redis configuration string: Keyword 'connectTimeout' requires an integer value")]
    [InlineData(",,", "names no server (host:port), got ',,'")]
    public void Read_BadRedisConfiguration_NamesTheKey(string value, string message)
    {
        var config = Config.Valid();
        config["RateLimiting:Store:Kind"] = "Redis";
        config["RateLimiting:Store:Redis:Configuration"] = value;

        Config.AssertError(Config.ReadInvalid(config), "RateLimiting:Store:Redis:Configuration", message);
    }

    [Theory]
    [InlineData("FailureRatio", "0", "must be a number above 0 and at most 1, got '0'")]
    [InlineData("FailureRatio", "1.5", "must be a number above 0 and at most 1, got '1.5'")]
    [InlineData("FailureRatio", "half", "must be a number above 0 and at most 1, got 'half'")]
    [InlineData("MinimumCalls", "0", "must be a positive integer, got '0'")]
    [InlineData("SamplingWindow", "50ms", "must be at least 100ms")]
    [InlineData("SamplingWindow", "soon", "is not a duration: 'soon'")]
    [InlineData("Threshold", "3", "is not a known setting (expected one of FailureRatio, MinimumCalls, SamplingWindow)")]
    public void Read_BadBreakerSetting_NamesTheKey(string key, string value, string message)
    {
        var config = Config.Valid();
        config[$"RateLimiting:Store:Redis:Breaker:{key}"] = value;

        Config.AssertError(Config.ReadInvalid(config), $"RateLimiting:Store:Redis:Breaker:{key}", message);
    }

    [Fact]
    public void Read_StoreDefaults_AreTheDocumentedOnes()
    {
        var store = Config.Read(Config.Valid()).Store;

        Assert.Equal(TimeSpan.FromMilliseconds(50), store.RedisDeadline);
        Assert.Equal(TimeSpan.FromSeconds(10), store.StartupTimeout);
        Assert.Equal(new Gateway.Limiting.Resilience.BreakerSettings(0.5, 10, TimeSpan.FromSeconds(2)), store.Breaker);
    }

    [Fact]
    public void Read_BreakerAndStartupTimeout_AreRead()
    {
        var config = Config.Valid();
        config["RateLimiting:Store:Redis:StartupTimeout"] = "30s";
        config["RateLimiting:Store:Redis:Breaker:FailureRatio"] = "0.25";
        config["RateLimiting:Store:Redis:Breaker:MinimumCalls"] = "40";
        config["RateLimiting:Store:Redis:Breaker:SamplingWindow"] = "5s";

        var store = Config.Read(config).Store;

        Assert.Equal(TimeSpan.FromSeconds(30), store.StartupTimeout);
        Assert.Equal(new Gateway.Limiting.Resilience.BreakerSettings(0.25, 40, TimeSpan.FromSeconds(5)), store.Breaker);
    }

    [Fact]
    public void Read_RouteWithEmptyPolicy_IsAnUnlimitedRoute()
    {
        // As the proxy reads it (RouteRateLimitBinding): an empty value switches the route's limiting off, e.g. from
        // an environment variable, and is no error. A cost without a policy still is.
        var config = Config.Valid();
        config["ReverseProxy:Routes:r1:Metadata:RateLimitPolicy"] = " ";

        Assert.NotNull(Config.Read(config));

        config["ReverseProxy:Routes:r1:Metadata:RateLimitCost"] = "2";
        Config.AssertError(Config.ReadInvalid(config), "ReverseProxy:Routes:r1:Metadata:RateLimitCost", "the route names no RateLimitPolicy");
    }

    [Fact]
    public void Read_BadKnownProxy_NamesTheEntry()
    {
        var config = Config.Valid();
        config["RateLimiting:Identity:KnownProxies:0"] = "not-an-ip";

        Config.AssertError(Config.ReadInvalid(config), "RateLimiting:Identity:KnownProxies:0", "is not an IP address");
    }

    [Fact]
    public void Read_SeveralProblems_ReportsEveryOneInOneException()
    {
        var config = Config.Valid();
        config["RateLimiting:Policies:orders:Tiers:pro:0:Algorithm"] = "Nope";
        config["RateLimiting:Policies:orders:Tiers:pro:0:Window"] = "abc";
        config["ReverseProxy:Routes:r1:Metadata:RateLimitPolicy"] = "missing";

        var error = Config.ReadInvalid(config);

        Assert.Equal(3, error.Errors.Count);
        Assert.StartsWith("Invalid configuration (3 errors):", error.Message, StringComparison.Ordinal);
        Config.AssertError(error, "RateLimiting:Policies:orders:Tiers:pro:0:Algorithm", "got 'Nope'");
        Config.AssertError(error, "RateLimiting:Policies:orders:Tiers:pro:0:Window", "is not a duration");
        Config.AssertError(error, "ReverseProxy:Routes:r1:Metadata:RateLimitPolicy", "names policy 'missing'");
    }
}
