namespace Gateway.LoadTests.Scenarios;

/// <summary>Something the scenario did during a step (e.g. "Redis killed"), marked on that step's charts.</summary>
public sealed record ScenarioEvent(string Step, TimeSpan At, string Label);
