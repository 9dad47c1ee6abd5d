using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace Gateway.IntegrationTests.Infrastructure;

/// <summary>
/// Steady load on several gateway instances while a test injects a fault: <c>clients</c> loops, client i on
/// instance i mod N, each sending a request every <c>pace</c> until stopped. Every outcome is kept: status, latency,
/// when it started, and exceptions (a client timeout is one), so a test can account for every request.
/// </summary>
public sealed class SteadyLoad
{
    private readonly ConcurrentQueue<Outcome> _outcomes = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<Task> _clients = [];

    private SteadyLoad()
    {
    }

    public IReadOnlyCollection<Outcome> Outcomes => _outcomes;

    /// <summary>Time since the load started.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    public static SteadyLoad Start(IReadOnlyList<GatewayInstance> instances, string path, string token, int clients, TimeSpan pace, TimeSpan clientTimeout)
    {
        var load = new SteadyLoad();
        for (var i = 0; i < clients; i++)
        {
            var instance = instances[i % instances.Count];
            load._clients.Add(Task.Run(() => load.RunClientAsync(instance.Address, path, token, pace, clientTimeout)));
        }

        return load;
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_clients);
    }

    private async Task RunClientAsync(Uri address, string path, string token, TimeSpan pace, TimeSpan clientTimeout)
    {
        // Its own client per loop: a fault on one connection is not shared.
        using var client = new HttpClient { BaseAddress = address, Timeout = clientTimeout };
        while (!_stop.IsCancellationRequested)
        {
            var started = _clock.Elapsed;
            try
            {
                using var response = await client.GetAsync(path, token);
                _outcomes.Enqueue(new Outcome(started, _clock.Elapsed - started, response.StatusCode, null));
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                _outcomes.Enqueue(new Outcome(started, _clock.Elapsed - started, null, e.GetType().Name));
            }

            var wait = pace - (_clock.Elapsed - started);
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(wait, _stop.Token);
                }
                catch (TaskCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>One request: its status, or the exception that took its place.</summary>
    public sealed record Outcome(TimeSpan StartedAt, TimeSpan Latency, HttpStatusCode? Status, string? Error);
}
