using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace Gateway.LoadTests.Running;

/// <summary>Runs one step against its targets and measures every request.</summary>
public static class LoadRunner
{
    /// <summary>Runs <paramref name="step"/> with fresh statistics.</summary>
    public static Task<RunStatistics> RunAsync(IReadOnlyList<HttpClient> targets, LoadStep step, CancellationToken cancellationToken) =>
        RunAsync(targets, new RunStatistics(step), cancellationToken);

    /// <summary>Runs the step of <paramref name="statistics"/>, recording into it (so a progress display can read it live).</summary>
    /// <param name="targets">Clients whose base addresses are the (loopback) targets; <see cref="RequestSpec.Target"/> indexes them.</param>
    public static async Task<RunStatistics> RunAsync(IReadOnlyList<HttpClient> targets, RunStatistics statistics, CancellationToken cancellationToken)
    {
        foreach (var target in targets)
        {
            LoopbackGuard.Ensure(target.BaseAddress ?? throw new ArgumentException("Every client needs a base address.", nameof(targets)));
        }

        var step = statistics.Step;
        var clock = Stopwatch.StartNew();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (step.Shape.Mode == LoadMode.Closed)
        {
            // An open loop ends with its schedule (every request due within the duration is sent, late if the
            // generator fell behind, so the count is the rate's); a closed loop runs until the time is up.
            stop.CancelAfter(step.Shape.Duration);
        }

        var run = new Run(targets, step, statistics, clock);
        if (step.Shape.Mode == LoadMode.Open)
        {
            await run.OpenLoopAsync(stop.Token).ConfigureAwait(false);
        }
        else
        {
            await run.ClosedLoopAsync(stop.Token).ConfigureAwait(false);
        }

        run.ThrowIfScenarioFailed();
        // A run cut short (Ctrl+C) must not be reported as if it had run its course.
        cancellationToken.ThrowIfCancellationRequested();

        statistics.Elapsed = clock.Elapsed;
        return statistics;
    }

    private sealed class Run(IReadOnlyList<HttpClient> targets, LoadStep step, RunStatistics statistics, Stopwatch clock)
    {
        private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private static readonly TimeSpan MaxSleep = TimeSpan.FromMilliseconds(50);
        private long _inFlight = 1;
        private Exception? _failure;

        /// <summary>
        /// A failure of the scenario's own code (its plan or observer), not of the target: it ends the step with an
        /// exception rather than passing for a request error, and in the open loop it is not lost with a fire-and-forget task.
        /// </summary>
        public void ThrowIfScenarioFailed()
        {
            if (_failure is not null)
            {
                throw new InvalidOperationException($"Step '{step.Name}': the scenario's plan or observer failed.", _failure);
            }
        }

        /// <summary>
        /// Schedules on a thread of its own, which only sleeps (precisely, <see cref="PreciseSleep"/>) and hands each
        /// due request to the thread pool: sending on the scheduling thread would cap the rate at one thread's speed
        /// and make later requests late; a timer would make every request a millisecond or two late.
        /// </summary>
        public async Task OpenLoopAsync(CancellationToken stop)
        {
            var scheduled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var scheduler = new Thread(() =>
            {
                try
                {
                    Schedule(stop);
                    scheduled.TrySetResult();
                }
                catch (Exception e)
                {
                    scheduled.TrySetException(e);
                }
            })
            {
                IsBackground = true,
                Name = "open-loop scheduler",
            };
            scheduler.Start();
            try
            {
                await scheduled.Task.ConfigureAwait(false);
            }
            finally
            {
                // Requests already handed out finish (or time out) before the step returns, whatever happened.
                Release();
                await _drained.Task.ConfigureAwait(false);
            }
        }

        private void Schedule(CancellationToken stop)
        {
            var shape = step.Shape;
            for (long n = 0; n < shape.MaxRequests && !stop.IsCancellationRequested; n++)
            {
                // Each request has an intended start; its latency counts from there, so a stalled server shows as
                // latency instead of silently lowering the rate (no coordinated omission). Never sent early.
                var intended = shape.IntendedStart(n);
                for (var wait = intended - clock.Elapsed; wait > TimeSpan.Zero && !stop.IsCancellationRequested; wait = intended - clock.Elapsed)
                {
                    // In slices, so a cancelled run does not sleep through a long gap of a slow ramp.
                    PreciseSleep.For(wait < MaxSleep ? wait : MaxSleep);
                }

                Interlocked.Increment(ref _inFlight);
                ThreadPool.UnsafeQueueUserWorkItem(static state => _ = state.Run.SendThenReleaseAsync(state.N, state.Intended), (Run: this, N: n, Intended: intended), preferLocal: false);
            }
        }

        public Task ClosedLoopAsync(CancellationToken stop)
        {
            long next = -1;
            var workers = Enumerable.Range(0, step.Shape.Concurrency).Select(async _ =>
            {
                await Task.Yield();
                long n;
                while (!stop.IsCancellationRequested && Volatile.Read(ref _failure) is null && (n = Interlocked.Increment(ref next)) < step.Shape.MaxRequests)
                {
                    try
                    {
                        await SendAsync(n, clock.Elapsed).ConfigureAwait(false);
                    }
                    catch (Exception e)
                    {
                        Interlocked.CompareExchange(ref _failure, e, null);
                    }
                }
            });
            return Task.WhenAll(workers);
        }

        private async Task SendThenReleaseAsync(long n, TimeSpan intended)
        {
            try
            {
                await SendAsync(n, intended).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, e, null);
            }
            finally
            {
                Release();
            }
        }

        private void Observe(in RequestSpec request, HttpResponseMessage response)
        {
            try
            {
                step.Observe?.Invoke(request, response);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, e, null);
            }
        }

        private void Release()
        {
            if (Interlocked.Decrement(ref _inFlight) == 0)
            {
                _drained.TrySetResult();
            }
        }

        private async Task SendAsync(long n, TimeSpan intendedStart)
        {
            RequestSpec request;
            try
            {
                request = step.Plan(n);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, e, null);
                return;
            }

            statistics.Started(request);
            HttpStatusCode? status = null;
            // One deadline for the whole exchange, body included: with ResponseHeadersRead the client's own timeout
            // stops at the headers, and a body that stalls would hold the step open forever.
            using var timeout = new CancellationTokenSource(LoadClients.Timeout);
            try
            {
                using var message = new HttpRequestMessage(HttpMethod.Get, request.Path);
                if (request.Token is not null)
                {
                    message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", request.Token);
                }

                using var response = await targets[request.Target].SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
                // The body is part of the response: read it, as a client would, so the connection is reused cleanly.
                // Only a whole response counts under its status (and is observed); one cut off mid-body is an error.
                await response.Content.CopyToAsync(Stream.Null, timeout.Token).ConfigureAwait(false);
                status = response.StatusCode;
                Observe(request, response);
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
            {
                // Counted as an error: no (whole) response.
            }

            var now = clock.Elapsed;
            statistics.Completed(request, status, (long)(now - intendedStart).TotalMicroseconds, now);
        }
    }
}
