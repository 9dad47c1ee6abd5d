using Gateway.LoadTests.Running;

namespace Gateway.LoadTests.Scenarios;

/// <summary>What a scenario run produced: its steps' statistics, its checks, extra tables and events, and its parameters.</summary>
public sealed record ScenarioResult(
    string Scenario,
    string Description,
    DateTimeOffset StartedAt,
    IReadOnlyList<RunStatistics> Steps,
    IReadOnlyList<ScenarioCheck> Checks,
    IReadOnlyDictionary<string, string> Parameters)
{
    public IReadOnlyList<ReportTable> Tables { get; init; } = [];

    public IReadOnlyList<ScenarioEvent> Events { get; init; } = [];

    /// <summary>Where the load ran: targets, store, machine.</summary>
    public string Environment { get; init; } = string.Empty;

    public bool Passed => Checks.All(c => c.Passed);

    /// <summary>Every request accounted for, in every step: sent = 2xx + 429 + other status + errors.</summary>
    public bool CountsAddUp => Steps.All(s => s.Sent == s.Success + s.Limited + s.OtherStatus + s.Errors);
}
