using System.Globalization;
using Gateway.LoadTests.Cli;

namespace Gateway.LoadTests.Comparison;

/// <summary>
/// <c>compare</c>'s options: rounds, seconds per step, connections, an optional fixed latency rate (default: half the
/// limiting-off maximum), and where the report goes. A value that is not a positive number stops the run naming it.
/// </summary>
public sealed record ComparisonOptions(int Rounds, TimeSpan Seconds, int Concurrency, double? LatencyRate, string ReportsDirectory)
{
    public static ComparisonOptions Read(CommandLine commandLine, string defaultReportsDirectory) => new(
        (int)PositiveNumber(commandLine, "rounds", 5),
        TimeSpan.FromSeconds(PositiveNumber(commandLine, "seconds", 5)),
        (int)PositiveNumber(commandLine, "concurrency", 64),
        commandLine.Option("latency-rate") is null ? null : PositiveNumber(commandLine, "latency-rate", 0),
        commandLine.Option("out") ?? defaultReportsDirectory);

    private static double PositiveNumber(CommandLine commandLine, string name, double fallback)
    {
        var text = commandLine.Option(name);
        if (text is null)
        {
            return fallback;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 1
            ? value
            : throw new ArgumentException($"--{name}: a number of at least 1, not '{text}'");
    }
}
