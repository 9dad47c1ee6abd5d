using Gateway.LoadTests.Identity;
using Gateway.LoadTests.Running;

namespace Gateway.LoadTests.Scenarios;

/// <summary>
/// What a scenario runs against: the gateways (loopback), a token issuer they trust, the parameters, an optional store
/// fault switch, and the progress display. One pooled client per gateway for the whole run.
/// </summary>
public sealed class ScenarioContext : IDisposable
{
    private readonly IStepProgress? _progress;

    public ScenarioContext(IReadOnlyList<Uri> gateways, TokenIssuer tokens, ScenarioParameters parameters, IStoreFaults? faults = null, IStepProgress? progress = null)
    {
        if (gateways.Count == 0)
        {
            throw new ArgumentException("A scenario needs at least one gateway.", nameof(gateways));
        }

        Gateways = gateways;
        Tokens = tokens;
        Parameters = parameters;
        Faults = faults;
        _progress = progress;
        Clients = gateways.Select(g => LoadClients.Create(g)).ToList();
    }

    public IReadOnlyList<Uri> Gateways { get; }

    public IReadOnlyList<HttpClient> Clients { get; }

    public TokenIssuer Tokens { get; }

    public ScenarioParameters Parameters { get; }

    public IStoreFaults? Faults { get; }

    /// <summary>Unique per run: subjects are named with it, so a rerun against the same Redis starts from fresh counters.</summary>
    public string RunId { get; } = Guid.NewGuid().ToString("N")[..8];

    public Task<RunStatistics> RunStepAsync(LoadStep step, CancellationToken cancellationToken)
    {
        Parameters.ThrowIfAnyUnknown();
        var statistics = new RunStatistics(step);
        return _progress is null
            ? LoadRunner.RunAsync(Clients, statistics, cancellationToken)
            : _progress.TrackAsync(statistics, () => LoadRunner.RunAsync(Clients, statistics, cancellationToken));
    }

    /// <summary>
    /// Load before the measured steps, not reported: the first requests on a fresh process pay for JIT compilation,
    /// connection set-up, a thread pool still growing and cold caches: start-up cost, not the steady state a scenario
    /// measures (a 3 s warm-up at 8 connections left a gateway that served 4,000 requests/s at a 0.8 ms p50 after 15 s
    /// queueing for a second). A closed loop over throwaway subjects on every gateway, through the allow and 429 paths.
    /// </summary>
    public async Task WarmUpAsync(TimeSpan duration, CancellationToken cancellationToken)
    {
        if (duration <= TimeSpan.Zero)
        {
            return;
        }

        // Half on the load route's free tier (soon refused: the 429 path), half on the unlimited bench route (admitted
        // and proxied: the allow path), 50 subjects each.
        var tokens = Enumerable.Range(0, 50).Select(i => Tokens.For($"warm-up-{RunId}-{i}", "free")).ToArray();
        var step = new LoadStep("warm-up", LoadShape.ClosedLoop(32 * Gateways.Count, duration), n =>
        {
            var subject = (int)(n / 2 % 50);
            var path = n % 2 == 0 ? LoadTestRoutes.Path($"warm-up-{RunId}-{subject}") : LoadTestRoutes.AllowPath($"warm-up-{RunId}-{subject}");
            return new RequestSpec((int)(n / 100 % Gateways.Count), path, tokens[subject]);
        });
        await LoadRunner.RunAsync(Clients, step, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The first rule the gateway applies to <paramref name="tier"/> on the load route, read from the RateLimit-Policy
    /// field of one request by a throwaway subject: scenarios check against what the gateway says, not a copy of it.
    /// </summary>
    public async Task<RateLimitPolicyField> ProbePolicyAsync(string tier, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, LoadTestRoutes.Path($"probe-{RunId}-{tier}"));
        request.Headers.Authorization = new("Bearer", Tokens.For($"probe-{RunId}-{tier}", tier));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(LoadClients.Timeout);
        using var response = await Clients[0].SendAsync(request, timeout.Token).ConfigureAwait(false);
        return RateLimitPolicyField.Parse(response).FirstOrDefault()
            ?? throw new InvalidOperationException($"{Gateways[0]}{LoadTestRoutes.Path("...")} answered {(int)response.StatusCode} without a RateLimit-Policy field: is the {LoadTestRoutes.Overlay} overlay loaded (Gateway:Overlays={LoadTestRoutes.Overlay})?");
    }

    public void Dispose()
    {
        foreach (var client in Clients)
        {
            client.Dispose();
        }
    }
}
