namespace Gateway.LoadTests.Scenarios;

/// <summary>One thing a scenario verifies (e.g. "well-behaved subjects saw no 429"), with what it measured.</summary>
public sealed record ScenarioCheck(string Name, bool Passed, string Detail);
