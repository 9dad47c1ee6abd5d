using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.IntegrationTests.Infrastructure;

/// <summary>Several real gateway instances (each its own Kestrel server and service provider) in front of one upstream.</summary>
public sealed class GatewayCluster : IAsyncDisposable
{
    private GatewayCluster(UpstreamServer upstream, IReadOnlyList<GatewayInstance> instances)
    {
        Upstream = upstream;
        Instances = instances;
    }

    public UpstreamServer Upstream { get; }

    public IReadOnlyList<GatewayInstance> Instances { get; }

    /// <summary>Starts instances sharing <paramref name="config"/>; instance i's clock is skewed by <paramref name="clockSkews"/>[i].</summary>
    public static async Task<GatewayCluster> StartAsync(Func<Uri, JsonObject> config, params TimeSpan[] clockSkews)
    {
        var upstream = await UpstreamServer.StartAsync();
        var instances = new List<GatewayInstance>();
        foreach (var skew in clockSkews)
        {
            // A gateway clock that is off by minutes, as a badly synchronised host would have: with the Redis store
            // nothing in a decision may depend on it.
            var clock = new FakeTimeProvider(DateTimeOffset.UtcNow + skew);
            clock.AutoAdvanceAmount = TimeSpan.FromMilliseconds(1);
            instances.Add(await GatewayInstance.StartAsync(config(upstream.Address), b =>
                b.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(clock))));
        }

        return new GatewayCluster(upstream, instances);
    }

    /// <summary>
    /// <paramref name="clients"/> concurrent clients, client i talking to instance i mod N, send <paramref name="total"/>
    /// requests in all; returns every status.
    /// </summary>
    public async Task<IReadOnlyList<HttpStatusCode>> HammerAsync(string path, string token, int clients, int total)
    {
        var statuses = new ConcurrentBag<HttpStatusCode>();
        var remaining = total;
        using var start = new SemaphoreSlim(0);
        var tasks = Enumerable.Range(0, clients).Select(async client =>
        {
            var instance = Instances[client % Instances.Count];
            await start.WaitAsync();
            while (Interlocked.Decrement(ref remaining) >= 0)
            {
                using var response = await instance.Client.GetAsync(path, token);
                statuses.Add(response.StatusCode);
            }
        }).ToList();
        start.Release(clients);
        await Task.WhenAll(tasks);
        return statuses.ToList();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var instance in Instances)
        {
            await instance.DisposeAsync();
        }

        await Upstream.DisposeAsync();
    }
}
