using System.Diagnostics;
using System.Net;
using Gateway.IntegrationTests.Infrastructure;

namespace Gateway.IntegrationTests.LimitsApi;

/// <summary>Traffic and observations across the instances of a cluster, each bounded in time.</summary>
internal static class ClusterTraffic
{
    /// <summary>Generous: leases of 500 ms strand permits for about a second at most.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Sends requests one at a time, round-robin over <paramref name="instances"/>, until <paramref name="target"/>
    /// are admitted (or <see cref="Bound"/> passes). A refusal may only mean permits are parked in another instance's
    /// lease for a moment, so refusals are retried after a short pause. Returns the admitted count per instance.
    /// </summary>
    public static async Task<int[]> AdmitAsync(IReadOnlyList<GatewayInstance> instances, string path, string token, int target)
    {
        var admitted = new int[instances.Count];
        var deadline = Stopwatch.StartNew();
        for (var n = 0; admitted.Sum() < target && deadline.Elapsed < Bound; n++)
        {
            using var response = await instances[n % instances.Count].Client.GetAsync(path, token);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                admitted[n % instances.Count]++;
            }
            else
            {
                Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
                await Task.Delay(20);
            }
        }

        return admitted;
    }

    /// <summary>One request per instance, <paramref name="rounds"/> times: the statuses.</summary>
    public static async Task<List<HttpStatusCode>> RoundsAsync(IReadOnlyList<GatewayInstance> instances, string path, string token, int rounds)
    {
        var statuses = new List<HttpStatusCode>();
        for (var round = 0; round < rounds; round++)
        {
            foreach (var instance in instances)
            {
                using var response = await instance.Client.GetAsync(path, token);
                statuses.Add(response.StatusCode);
            }
        }

        return statuses;
    }

    /// <summary>
    /// Polls <paramref name="condition"/> on one instance back to back until it holds, and returns
    /// <paramref name="clock"/>'s reading at that moment; fails after <see cref="Bound"/>.
    /// </summary>
    public static async Task<TimeSpan> WhenAsync(Stopwatch clock, Func<Task<bool>> condition, string description)
    {
        var deadline = clock.Elapsed + Bound;
        while (clock.Elapsed < deadline)
        {
            if (await condition())
            {
                return clock.Elapsed;
            }

            await Task.Delay(2);
        }

        Assert.Fail($"Timed out after {Bound.TotalSeconds} s waiting until {description}.");
        return default;
    }
}
