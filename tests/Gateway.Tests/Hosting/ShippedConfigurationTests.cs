using Gateway.Hosting;
using Gateway.Identity;
using Gateway.Limiting.Policies;
using Gateway.Limiting.Storage;
using Microsoft.Extensions.Configuration;

namespace Gateway.Tests.Hosting;

/// <summary>The configuration the repository ships, with each overlay, is valid: users start from it.</summary>
public sealed class ShippedConfigurationTests
{
    [Theory]
    [InlineData(null, StoreKind.InMemory)]
    [InlineData("Development", StoreKind.InMemory)]
    [InlineData("Redis", StoreKind.Redis)]
    [InlineData("RedisCluster", StoreKind.Redis)]
    public void ShippedAppSettings_WithOverlay_AreValid(string? overlay, StoreKind expectedStore)
    {
        var directory = AppSettingsLocation.Resolve(null, AppContext.BaseDirectory);
        var builder = new ConfigurationBuilder().AddJsonFile(Path.Combine(directory, "appsettings.json"));
        if (overlay is not null)
        {
            builder.AddJsonFile(Path.Combine(directory, $"appsettings.{overlay}.json"));
        }

        var configuration = builder.Build();
        var settings = RateLimitingSettingsReader.Read(configuration);
        JwtBearerSettingsReader.Read(configuration);

        Assert.Equal(expectedStore, settings.Store.Kind);
        Assert.Contains("orders", settings.Policies.Keys);
    }
}
