using Gateway.LoadTests.Cli;
using Gateway.LoadTests.Comparison;
using Gateway.LoadTests.Scenarios;

namespace Gateway.LoadTests;

/// <summary>
/// dotnet run -c Release --project loadtests/Gateway.LoadTests -- list | run &lt;scenario&gt; [--param value ...] | compare
/// </summary>
internal static class LoadTestProgram
{
    public static async Task<int> Main(string[] args)
    {
        var commandLine = CommandLine.Parse(args);
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };

        try
        {
            return commandLine.Command switch
            {
                "list" => ListScenarios(),
                "run" => await ScenarioCommand.RunAsync(commandLine, cancel.Token),
                "compare" => await ComparisonCommand.RunAsync(commandLine, cancel.Token),
                _ => Usage(),
            };
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
        catch (FormatException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            Console.Error.WriteLine("Cancelled: no report (a run cut short would read as a complete one).");
            return 130;
        }
    }

    private static int ListScenarios()
    {
        foreach (var scenario in ScenarioCatalog.All)
        {
            Console.WriteLine($"{scenario.Name,-14} {scenario.Description}");
        }

        return 0;
    }

    private static int Usage()
    {
        Console.WriteLine("""
            Load tests for the gateway (loopback targets only).

              list                      the scenarios
              run <scenario> [options]  one scenario; starts its own gateways, upstream and Redis unless --target is given
                  --target URL          a running gateway (repeat for several); its config must load the LoadTest overlay
                  --gateways N          how many gateway processes to start (default: what the scenario needs)
                  --store redis         Redis instead of the in-memory store; --leases false for exact mode
                  --config FILE         scenario parameters from a JSON object; --name value overrides one
                  --warmup SECONDS      unreported load first: JIT, thread pool, connections (default 10s)
                  --out DIR             where reports go (default loadtests/reports)
              compare [options]         upstream direct, limiting off, in-memory, Redis exact, Redis leases, interleaved
                  --rounds N --seconds S --concurrency C --latency-rate R --out DIR
            """);
        return 2;
    }
}
