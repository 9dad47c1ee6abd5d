using Gateway.LoadTests.Running;

namespace Gateway.LoadTests.Scenarios;

/// <summary>Shows a running step's live statistics (the terminal's progress display, or nothing in tests).</summary>
public interface IStepProgress
{
    Task<RunStatistics> TrackAsync(RunStatistics statistics, Func<Task<RunStatistics>> run);
}
