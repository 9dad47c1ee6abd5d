using System.Diagnostics;
using System.Globalization;
using Gateway.LoadTests.Running;
using Gateway.LoadTests.Scenarios;
using Spectre.Console;

namespace Gateway.LoadTests.Reporting;

/// <summary>
/// Live progress of a running step in the terminal (Spectre.Console): elapsed time, counts by outcome, the last
/// second's throughput and the p99 so far, four times a second. Without a terminal (CI, redirected output) it prints
/// a plain line every five seconds instead.
/// </summary>
public sealed class ConsoleProgress : IStepProgress
{
    private static readonly TimeSpan LiveRefresh = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan PlainRefresh = TimeSpan.FromSeconds(5);

    public async Task<RunStatistics> TrackAsync(RunStatistics statistics, Func<Task<RunStatistics>> run)
    {
        var clock = Stopwatch.StartNew();
        var running = run();
        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            while (await Task.WhenAny(running, Task.Delay(PlainRefresh)).ConfigureAwait(false) != running)
            {
                Console.WriteLine(Line(statistics, clock.Elapsed));
            }

            return await running.ConfigureAwait(false);
        }

        await AnsiConsole.Live(Table(statistics, clock.Elapsed)).AutoClear(false).StartAsync(async live =>
        {
            while (await Task.WhenAny(running, Task.Delay(LiveRefresh)).ConfigureAwait(false) != running)
            {
                live.UpdateTarget(Table(statistics, clock.Elapsed));
            }

            live.UpdateTarget(Table(statistics, clock.Elapsed));
        }).ConfigureAwait(false);
        return await running.ConfigureAwait(false);
    }

    private static string Line(RunStatistics s, TimeSpan elapsed) => string.Create(CultureInfo.InvariantCulture,
        $"  {s.Step.Name} {elapsed.TotalSeconds,5:F0}/{s.Step.Shape.Duration.TotalSeconds:F0} s  sent {s.Sent}  2xx {s.Success}  429 {s.Limited}  other {s.OtherStatus}  errors {s.Errors}  {LastSecondRate(s, elapsed):F0}/s  p99 {s.PercentileMilliseconds(99):F2} ms");

    /// <summary>A progress line over a narrow table, so it fits an 80-column terminal without wrapping.</summary>
    private static Rows Table(RunStatistics s, TimeSpan elapsed)
    {
        var duration = s.Step.Shape.Duration;
        var done = Math.Min(1, elapsed / duration);
        var bar = new string('#', (int)(done * 20)).PadRight(20, '.');
        var heading = new Markup(string.Create(CultureInfo.InvariantCulture,
            $"[bold]{Markup.Escape(s.Step.Name)}[/] {bar} {elapsed.TotalSeconds:F0}/{duration.TotalSeconds:F0} s  {Markup.Escape(s.Step.Shape.Describe())}"));
        var table = new Table()
            .Border(TableBorder.Rounded)
            .AddColumns("sent", "[green]2xx[/]", "[yellow]429[/]", "[red]other[/]", "[red]errors[/]", "req/s (last s)", "p99 ms")
            .AddRow(
                N(s.Sent), N(s.Success), N(s.Limited), N(s.OtherStatus), N(s.Errors),
                LastSecondRate(s, elapsed).ToString("F0", CultureInfo.InvariantCulture),
                s.PercentileMilliseconds(99).ToString("F2", CultureInfo.InvariantCulture));
        return new Rows(heading, table);
    }

    private static double LastSecondRate(RunStatistics s, TimeSpan elapsed)
    {
        var timeline = s.Timeline;
        var second = (int)elapsed.TotalSeconds - 1;
        return second >= 0 && second < timeline.Count ? timeline[second].Completed : 0;
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
