using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

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
            // nothing in a decision may depend on it. It runs in real time, as leases must (they live for real durations).
            var clock = new SkewedTimeProvider(skew);
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

    /// <summary>
    /// <paramref name="clients"/> concurrent clients send <paramref name="total"/> requests in all; request n goes to
    /// the instance its slot picks in <paramref name="weights"/> (e.g. 90, 5, 5), so demand splits exactly in that
    /// ratio however fast each instance answers. Returns the statuses per instance.
    /// </summary>
    public Task<IReadOnlyList<HttpStatusCode>[]> HammerSplitAsync(string path, string token, int clients, int total, params int[] weights) =>
        HammerSplitAsync(path, token, clients, total, TimeSpan.Zero, weights);

    /// <summary>As above, each client pausing <paramref name="pace"/> between its requests, so demand spreads over time.</summary>
    public async Task<IReadOnlyList<HttpStatusCode>[]> HammerSplitAsync(string path, string token, int clients, int total, TimeSpan pace, params int[] weights)
    {
        var slots = weights.SelectMany((weight, instance) => Enumerable.Repeat(instance, weight)).ToArray();
        var statuses = Instances.Select(_ => new ConcurrentBag<HttpStatusCode>()).ToArray();
        var next = -1;
        using var start = new SemaphoreSlim(0);
        var tasks = Enumerable.Range(0, clients).Select(async _ =>
        {
            await start.WaitAsync();
            int n;
            while ((n = Interlocked.Increment(ref next)) < total)
            {
                var instance = slots[n % slots.Length];
                using var response = await Instances[instance].Client.GetAsync(path, token);
                statuses[instance].Add(response.StatusCode);
                if (pace > TimeSpan.Zero)
                {
                    await Task.Delay(pace);
                }
            }
        }).ToList();
        start.Release(clients);
        await Task.WhenAll(tasks);
        return statuses.Select(bag => (IReadOnlyList<HttpStatusCode>)bag.ToList()).ToArray();
    }

    /// <summary>Stops every gateway gracefully (they give their leases back), keeping the upstream for inspection.</summary>
    public async Task StopGatewaysAsync()
    {
        foreach (var instance in Instances)
        {
            await instance.DisposeAsync();
        }
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
