using System.Diagnostics;
using System.Net;

namespace Gateway.LoadTests;

/// <summary>Runs one load shape against one target and measures every request.</summary>
public static class LoadRunner
{
    /// <param name="client">A client whose base address is the (loopback) target.</param>
    /// <param name="request">Builds request number n (path, headers: which subject, which route).</param>
    /// <param name="shape">Open loop at a rate, or closed loop at a concurrency; bounded in time and count.</param>
    /// <param name="cancellationToken">Stops the run early.</param>
    public static async Task<RunStatistics> RunAsync(HttpClient client, Func<long, HttpRequestMessage> request, LoadShape shape, CancellationToken cancellationToken)
    {
        LoopbackGuard.Ensure(client.BaseAddress ?? throw new ArgumentException("The client needs a base address.", nameof(client)));
        var statistics = new RunStatistics();
        var clock = Stopwatch.StartNew();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(shape.Duration);
        if (shape.Mode == LoadMode.Open)
        {
            await RunOpenAsync(client, request, shape, statistics, clock, stop.Token).ConfigureAwait(false);
        }
        else
        {
            await RunClosedAsync(client, request, shape, statistics, clock, stop.Token).ConfigureAwait(false);
        }

        statistics.Elapsed = clock.Elapsed;
        return statistics;
    }

    private static async Task RunOpenAsync(HttpClient client, Func<long, HttpRequestMessage> request, LoadShape shape, RunStatistics statistics, Stopwatch clock, CancellationToken stop)
    {
        var inFlight = new List<Task>();
        var interval = TimeSpan.FromSeconds(1 / shape.Rate);
        for (long n = 0; n < shape.MaxRequests && !stop.IsCancellationRequested; n++)
        {
            // Each request has an intended start; its latency counts from there, so a stalled server shows as latency
            // instead of silently lowering the rate.
            var intended = interval * n;
            var wait = intended - clock.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                try
                {
                    await Task.Delay(wait, stop).ConfigureAwait(false);
                }
                catch (TaskCanceledException)
                {
                    break;
                }
            }

            inFlight.Add(SendAsync(client, request(n), intended, statistics, clock));
        }

        await Task.WhenAll(inFlight).ConfigureAwait(false);
    }

    private static async Task RunClosedAsync(HttpClient client, Func<long, HttpRequestMessage> request, LoadShape shape, RunStatistics statistics, Stopwatch clock, CancellationToken stop)
    {
        long next = -1;
        var workers = Enumerable.Range(0, shape.Concurrency).Select(async _ =>
        {
            long n;
            while (!stop.IsCancellationRequested && (n = Interlocked.Increment(ref next)) < shape.MaxRequests)
            {
                await SendAsync(client, request(n), clock.Elapsed, statistics, clock).ConfigureAwait(false);
            }
        });
        await Task.WhenAll(workers).ConfigureAwait(false);
    }

    private static async Task SendAsync(HttpClient client, HttpRequestMessage message, TimeSpan intendedStart, RunStatistics statistics, Stopwatch clock)
    {
        statistics.Started();
        HttpStatusCode? status = null;
        try
        {
            using (message)
            using (var response = await client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false))
            {
                status = response.StatusCode;
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            // Counted as an error: no response.
        }

        statistics.Completed(status, (long)(clock.Elapsed - intendedStart).TotalMicroseconds);
    }
}
