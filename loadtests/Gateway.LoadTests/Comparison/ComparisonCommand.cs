using System.Globalization;
using System.Text;
using Gateway.LoadTests.Cli;
using Gateway.LoadTests.Hosting;
using Gateway.LoadTests.Identity;
using Gateway.LoadTests.Reporting;
using Gateway.LoadTests.Running;
using Gateway.LoadTests.Scenarios;

namespace Gateway.LoadTests.Comparison;

/// <summary>
/// <c>compare</c>: every target on this machine in one run: the sample upstream direct, the gateway with limiting off,
/// with the in-memory store, with Redis in exact mode, with Redis and leases. Rounds interleave the targets (each round
/// in a rotated order) so drift on a shared machine spreads over all of them. Measures maximum throughput (closed
/// loop) for a hot subject, a 10,000-subject mix and the 429 path, then latency in open loop at half the
/// limiting-off maximum; prints the table and the targets' verdicts, and writes them as Markdown.
/// </summary>
public static class ComparisonCommand
{
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(4);

    public static async Task<int> RunAsync(CommandLine commandLine, CancellationToken cancellationToken)
    {
        var layout = RepositoryLayout.Find();
        var options = ComparisonOptions.Read(commandLine, layout.ReportsDirectory);
        var tokens = TokenIssuer.Development(layout.AppSettings);
        var runId = Guid.NewGuid().ToString("N")[..8];
        var startedAt = DateTimeOffset.UtcNow;

        Console.WriteLine("Starting the upstream, a redis-server and 4 gateway processes...");
        await using var fleet = await ProcessFleet.StartAsync(layout, ComparisonTarget.Gateways.Select(g => g.Options).ToList(), cancellationToken).ConfigureAwait(false);
        var targets = new List<ComparisonTarget> { new("upstream direct", fleet.Upstream.Address, Limits: false, UsesRedis: false) };
        targets.AddRange(ComparisonTarget.Gateways.Select((g, i) => new ComparisonTarget(g.Options.Name, fleet.Gateways[i].Address, g.Limits, g.Options.Redis)));
        var clients = targets.ToDictionary(t => t.Name, t => LoadClients.Create(t.Address, options.Concurrency));
        try
        {
            return await MeasureAllAsync(options, fleet, targets, clients, tokens, runId, startedAt, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            foreach (var client in clients.Values)
            {
                client.Dispose();
            }
        }
    }

    private static async Task<int> MeasureAllAsync(
        ComparisonOptions options, ProcessFleet fleet, List<ComparisonTarget> targets, Dictionary<string, HttpClient> clients, TokenIssuer tokens, string runId, DateTimeOffset startedAt, CancellationToken cancellationToken)
    {
        var (rounds, seconds, concurrency) = (options.Rounds, options.Seconds, options.Concurrency);
        var redis = fleet.Redis!;

        var workloads = new[]
        {
            ComparisonWorkload.HotSubject(tokens, runId),
            ComparisonWorkload.ZipfMix(tokens, runId),
            ComparisonWorkload.Refused(tokens, runId),
        };
        var throughput = new Dictionary<(string Target, string Workload), Measurement>();

        // Unmeasured: JIT tiers, connection pools, leases and caches settle before the first round, on every path.
        Console.WriteLine($"Warm-up: {WarmUp.TotalSeconds:0} s per target and workload.");
        foreach (var target in targets)
        {
            foreach (var workload in workloads.Where(w => target.Limits || !w.RefusalPath))
            {
                await RunAsync(clients[target.Name], new LoadStep("warm-up", LoadShape.ClosedLoop(concurrency, WarmUp), workload.Plan), cancellationToken).ConfigureAwait(false);
            }
        }

        for (var round = 0; round < rounds; round++)
        {
            foreach (var workload in workloads)
            {
                var order = Rotate(targets.Where(t => t.Limits || !workload.RefusalPath).ToList(), round);
                foreach (var target in order)
                {
                    var step = new LoadStep($"{workload.Name}", LoadShape.ClosedLoop(concurrency, seconds), workload.Plan);
                    var (statistics, calls) = await MeasureAsync(clients[target.Name], step, target.UsesRedis ? redis : null, cancellationToken).ConfigureAwait(false);
                    Measure(throughput, (target.Name, workload.Name)).Add(statistics, calls);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  round {round + 1}/{rounds}  {workload.Name,-28} {target.Name,-16} {statistics.Throughput,8:F0} req/s  p99 {statistics.PercentileMilliseconds(99),6:F2} ms  2xx {statistics.Success}  429 {statistics.Limited}  other {statistics.OtherStatus + statistics.Errors}  redis calls {calls}"));
                }
            }
        }

        // Latency at a rate every target sustains: half of the limiting-off gateway's maximum for the hot subject, unless
        // given (--latency-rate): on a machine the generator shares, half the maximum can already saturate the cores.
        var latencyRate = options.LatencyRate ?? Math.Max(50, Math.Round(throughput[(ComparisonTarget.Baseline, workloads[0].Name)].Throughput / 2));
        var latency = new Dictionary<string, Measurement>();
        for (var round = 0; round < rounds; round++)
        {
            foreach (var target in Rotate(targets, round))
            {
                var step = new LoadStep("latency", LoadShape.OpenLoop(latencyRate, seconds), workloads[0].Plan);
                var (statistics, calls) = await MeasureAsync(clients[target.Name], step, target.UsesRedis ? redis : null, cancellationToken).ConfigureAwait(false);
                Measure(latency, target.Name).Add(statistics, calls);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  round {round + 1}/{rounds}  latency at {latencyRate:0} req/s      {target.Name,-16} p50 {statistics.PercentileMilliseconds(50):F2} ms  p99 {statistics.PercentileMilliseconds(99):F2} ms  p99.9 {statistics.PercentileMilliseconds(99.9):F2} ms"));
            }
        }

        var input = new ComparisonReport.Input(targets, workloads.Select(w => w.Name).ToList(), throughput, latency, latencyRate, rounds, seconds, concurrency, startedAt, ScenarioCommand.Machine());
        var report = ComparisonReport.Render(input);
        var folder = ReportWriter.NewFolder(options.ReportsDirectory, $"compare-{startedAt.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}");
        await File.WriteAllTextAsync(Path.Combine(folder, "report.md"), report, Encoding.UTF8, cancellationToken).ConfigureAwait(false);
        ComparisonHtmlReport.Write(folder, input);
        Console.WriteLine();
        Console.WriteLine(report);
        Console.WriteLine($"Report: {Path.Combine(folder, "report.html")} and report.md");
        // The targets are measured, not asserted (this machine's noise decides too many of them); a failed request is
        // a fault in any run.
        var failures = throughput.Values.Concat(latency.Values).Sum(m => m.Outcomes.OtherStatus + m.Outcomes.Errors);
        return failures == 0 ? 0 : 1;
    }

    private static Measurement Measure<TKey>(Dictionary<TKey, Measurement> all, TKey key)
        where TKey : notnull =>
        all.TryGetValue(key, out var m) ? m : all[key] = new Measurement();

    private static async Task<(RunStatistics Statistics, long RedisCalls)> MeasureAsync(HttpClient client, LoadStep step, RedisProcess? redis, CancellationToken cancellationToken)
    {
        var before = redis is null ? 0 : await redis.ScriptCallsAsync().ConfigureAwait(false);
        var statistics = await RunAsync(client, step, cancellationToken).ConfigureAwait(false);
        var after = redis is null ? 0 : await redis.ScriptCallsAsync().ConfigureAwait(false);
        return (statistics, after - before);
    }

    private static Task<RunStatistics> RunAsync(HttpClient client, LoadStep step, CancellationToken cancellationToken) =>
        LoadRunner.RunAsync([client], step, cancellationToken);

    private static List<T> Rotate<T>(List<T> items, int by) => items.Skip(by % items.Count).Concat(items.Take(by % items.Count)).ToList();
}
