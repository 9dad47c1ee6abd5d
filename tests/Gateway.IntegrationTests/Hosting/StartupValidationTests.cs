using System.Diagnostics;
using System.Text.Json.Nodes;
using Gateway.IntegrationTests.Infrastructure;

namespace Gateway.IntegrationTests.Hosting;

/// <summary>A bad config stops the real gateway process at start-up with a message naming the key.</summary>
public sealed class StartupValidationTests
{
    public static TheoryData<string, Action<JsonObject>, string> BadConfigs() => new()
    {
        {
            "unknown policy on a route",
            c => c["ReverseProxy"]!["Routes"]!["orders"]!["Metadata"]!["RateLimitPolicy"] = "nope",
            "ReverseProxy:Routes:orders:Metadata:RateLimitPolicy"
        },
        {
            "unknown algorithm",
            c => c["RateLimiting"]!["Policies"]!["orders"]!["Tiers"]!["free"]![0]!["Algorithm"] = "LeakyBucket",
            "RateLimiting:Policies:orders:Tiers:free:0:Algorithm"
        },
        {
            "malformed window",
            c => c["RateLimiting"]!["Policies"]!["orders"]!["Tiers"]!["free"]![0]!["Window"] = "1 minute",
            "RateLimiting:Policies:orders:Tiers:free:0:Window"
        },
        {
            "burst below 1",
            c => c["RateLimiting"]!["Policies"]!["export"]!["Tiers"]!["free"]![0]!["Burst"] = 0,
            "RateLimiting:Policies:export:Tiers:free:0:Burst"
        },
        {
            "short signing key",
            c => c["Authentication"]!["Schemes"]!["Bearer"]!["SigningKeys"]![0]!["Value"] = "c2hvcnQ=",
            "Authentication:Schemes:Bearer:SigningKeys:0:Value"
        },
    };

    [Theory]
    [MemberData(nameof(BadConfigs))]
    public async Task BadConfig_StopsStartupNamingTheKey(string problem, Action<JsonObject> breakIt, string key)
    {
        var config = GatewayConfig.Default(new Uri("http://127.0.0.1:9/"));
        breakIt(config);
        var directory = Directory.CreateTempSubdirectory("gateway-badconfig-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), config.ToJsonString());
            var (exitCode, stderr) = await RunGatewayAsync(directory);

            Assert.True(exitCode == 2, $"{problem}: exit code {exitCode}, stderr: {stderr}");
            Assert.Contains(key, stderr);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<(int ExitCode, string Stderr)> RunGatewayAsync(string appSettingsDirectory)
    {
        var gatewayDll = typeof(Program).Assembly.Location;
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(gatewayDll);
        start.ArgumentList.Add($"--Gateway:AppSettingsDirectory={appSettingsDirectory}");
        start.ArgumentList.Add("--urls=http://127.0.0.1:0");
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // It started although it should not have: stop it by its PID and report.
            process.Kill(entireProcessTree: true);
            return (-1, await stderr);
        }

        return (process.ExitCode, await stderr);
    }
}
