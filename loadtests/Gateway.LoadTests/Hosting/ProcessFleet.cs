using System.Globalization;

namespace Gateway.LoadTests.Hosting;

/// <summary>
/// Real processes on loopback, started by the runner: the sample upstream, a redis-server of its own when any gateway
/// needs one, and gateway processes (the built Gateway.dll, Development environment for the development signing key,
/// the <c>LoadTest</c> overlay, warnings-only logs). Everything is stopped by PID on dispose.
/// </summary>
public sealed class ProcessFleet : IAsyncDisposable
{
    private readonly List<ChildProcess> _gateways = [];

    private ProcessFleet(RepositoryLayout layout, ChildProcess upstream, RedisProcess? redis)
    {
        Layout = layout;
        Upstream = upstream;
        Redis = redis;
    }

    public RepositoryLayout Layout { get; }

    public ChildProcess Upstream { get; }

    /// <summary>The fleet's redis-server; null when no gateway uses Redis.</summary>
    public RedisProcess? Redis { get; }

    public IReadOnlyList<ChildProcess> Gateways => _gateways;

    public static async Task<ProcessFleet> StartAsync(RepositoryLayout layout, IReadOnlyList<GatewayProcessOptions> gateways, CancellationToken cancellationToken)
    {
        var upstream = await ChildProcess.StartAsync("upstream", RepositoryLayout.UpstreamAssembly, [], new Dictionary<string, string>(), "/", cancellationToken).ConfigureAwait(false);
        RedisProcess? redis = null;
        ProcessFleet? fleet = null;
        try
        {
            redis = gateways.Any(g => g.Redis) ? await RedisProcess.CreateAsync().ConfigureAwait(false) : null;
            fleet = new ProcessFleet(layout, upstream, redis);
            // One at a time: on two cores, parallel start-ups only slow each other down.
            foreach (var gateway in gateways)
            {
                fleet._gateways.Add(await fleet.StartGatewayAsync(gateway, cancellationToken).ConfigureAwait(false));
            }

            return fleet;
        }
        catch
        {
            if (fleet is not null)
            {
                await fleet.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                await upstream.DisposeAsync().ConfigureAwait(false);
                if (redis is not null)
                {
                    await redis.DisposeAsync().ConfigureAwait(false);
                }
            }

            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var gateway in _gateways)
        {
            await gateway.DisposeAsync().ConfigureAwait(false);
        }

        await Upstream.DisposeAsync().ConfigureAwait(false);
        if (Redis is not null)
        {
            await Redis.DisposeAsync().ConfigureAwait(false);
        }
    }

    private Task<ChildProcess> StartGatewayAsync(GatewayProcessOptions options, CancellationToken cancellationToken)
    {
        var settings = new Dictionary<string, string>
        {
            ["Gateway:AppSettingsDirectory"] = Layout.AppSettings,
            ["Gateway:Overlays"] = "LoadTest",
            ["ReverseProxy:Clusters:backend:Destinations:d1:Address"] = Upstream.Address.ToString(),
            // Request logs at Information would measure the console, not the gateway.
            ["Serilog:MinimumLevel:Default"] = "Warning",
            ["RateLimiting:Store:Leases:Enabled"] = options.Leases.ToString(CultureInfo.InvariantCulture),
        };
        if (options.Redis)
        {
            settings["RateLimiting:Store:Kind"] = "Redis";
            settings["RateLimiting:Store:Redis:Configuration"] = Redis!.Address;
            settings["RateLimiting:Store:Redis:KeyPrefix"] = options.KeyPrefix;
        }

        foreach (var (key, value) in options.Settings)
        {
            settings[key] = value;
        }

        return ChildProcess.StartAsync(
            options.Name,
            RepositoryLayout.GatewayAssembly,
            settings.Select(s => $"--{s.Key}={s.Value}"),
            new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Development" },
            // Ready, not merely alive: with Redis, after the warm start (scripts loaded and run, instances counted).
            "/readyz",
            cancellationToken);
    }
}
