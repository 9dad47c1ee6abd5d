using System.Globalization;
using System.Runtime.InteropServices;
using Gateway.LoadTests.Hosting;
using Gateway.LoadTests.Identity;
using Gateway.LoadTests.Reporting;
using Gateway.LoadTests.Scenarios;

namespace Gateway.LoadTests.Cli;

/// <summary>
/// <c>run &lt;scenario&gt;</c>: runs one scenario, against gateways the runner starts itself (the default: real
/// processes on loopback, with their own Redis when the scenario needs one) or against running gateways
/// (<c>--target http://127.0.0.1:5000</c>, repeatable), and writes its report. Exit code 0 when every check passed.
/// </summary>
public static class ScenarioCommand
{
    private static readonly string[] RunnerOptions = ["target", "config", "out", "gateways", "store", "leases", "warmup"];

    public static async Task<int> RunAsync(CommandLine commandLine, CancellationToken cancellationToken)
    {
        var scenario = ScenarioCatalog.Find(commandLine.Argument ?? throw new ArgumentException("run: which scenario? (list shows them)"));
        var layout = RepositoryLayout.Find();
        var scenarioOptions = commandLine.Without(RunnerOptions);
        var parameters = commandLine.Option("config") is { } config
            ? ScenarioParameters.FromJsonFile(config, scenarioOptions)
            : new ScenarioParameters(scenarioOptions);
        var tokens = TokenIssuer.Development(layout.AppSettings);
        var reports = commandLine.Option("out") ?? layout.ReportsDirectory;
        var warmUpText = commandLine.Option("warmup") ?? "10s";
        var warmUp = warmUpText is "0" or "0s" ? TimeSpan.Zero
            : ScenarioParameters.TryParseDuration(warmUpText, out var parsed) ? parsed
            : throw new ArgumentException($"--warmup: not a duration: '{warmUpText}' (e.g. 3s, 500ms, 0)");

        ScenarioResult result;
        if (commandLine.Option("target") is { } targets)
        {
            if (scenario.Requirements.StoreFaults)
            {
                throw new ArgumentException($"{scenario.Name} breaks the store: it runs only on a fleet the runner starts (leave out --target).");
            }

            var gateways = targets.Split(',').Select(t => new Uri(t)).ToList();
            RequireGateways(scenario, gateways.Count);
            using var context = new ScenarioContext(gateways, tokens, parameters, progress: new ConsoleProgress());
            result = await WarmUpAndRunAsync(scenario, context, warmUp, $"Targets: {string.Join(", ", gateways)} (started elsewhere).", cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var count = commandLine.Option("gateways") is { } text
                ? int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : throw new ArgumentException($"--gateways: not a number: '{text}'")
                : scenario.Requirements.Gateways;
            RequireGateways(scenario, count);
            var redis = scenario.Requirements.Redis || string.Equals(commandLine.Option("store"), "redis", StringComparison.OrdinalIgnoreCase);
            var leases = !string.Equals(commandLine.Option("leases"), "false", StringComparison.OrdinalIgnoreCase);
            Console.WriteLine($"Starting {count} gateway process(es){(redis ? $" on a redis-server of their own (leases {(leases ? "on" : "off")})" : " (in-memory store)")} and the sample upstream...");
            await using var fleet = await ProcessFleet.StartAsync(layout, Enumerable.Range(1, count).Select(i => new GatewayProcessOptions($"gateway{i}", redis, leases)).ToList(), cancellationToken).ConfigureAwait(false);
            using var context = new ScenarioContext(fleet.Gateways.Select(g => g.Address).ToList(), tokens, parameters, fleet.Redis, new ConsoleProgress());
            result = await WarmUpAndRunAsync(scenario, context, warmUp, $"{count} gateway process(es) started by the runner, store {(redis ? $"Redis (leases {(leases ? "on" : "off")})" : "in-memory")}.", cancellationToken).ConfigureAwait(false);
        }

        var folder = ReportWriter.Write(reports, result);
        Console.WriteLine();
        Console.WriteLine(MarkdownReport.Render(result));
        Console.WriteLine($"Report: {Path.Combine(folder, "report.html")} and report.md");
        return result.Passed && result.CountsAddUp ? 0 : 1;
    }

    private static async Task<ScenarioResult> WarmUpAndRunAsync(ILoadScenario scenario, ScenarioContext context, TimeSpan warmUp, string environment, CancellationToken cancellationToken)
    {
        await context.WarmUpAsync(warmUp, cancellationToken).ConfigureAwait(false);
        var result = await scenario.RunAsync(context, cancellationToken).ConfigureAwait(false);
        return result with { Environment = $"{environment} {Machine()}" };
    }

    /// <summary>A scenario about several instances proves nothing on fewer (round-robin on one instance always passes).</summary>
    private static void RequireGateways(ILoadScenario scenario, int count)
    {
        if (count < scenario.Requirements.Gateways)
        {
            throw new ArgumentException($"{scenario.Name} needs at least {scenario.Requirements.Gateways} gateways; got {count}.");
        }
    }

    public static string Machine() =>
        $"Machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}; load generator, gateways, upstream and Redis share it.";
}
