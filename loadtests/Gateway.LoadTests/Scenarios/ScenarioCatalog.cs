namespace Gateway.LoadTests.Scenarios;

/// <summary>Every scenario, by name.</summary>
public static class ScenarioCatalog
{
    public static IReadOnlyList<ILoadScenario> All { get; } =
    [
        new SteadyScenario(),
        new AbusiveSubjectScenario(),
        new ZipfSubjectsScenario(),
        new RoundRobinAccuracyScenario(),
        new RedisOutageScenario(),
    ];

    public static ILoadScenario Find(string name) =>
        All.FirstOrDefault(s => s.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"No scenario '{name}'. Scenarios: {string.Join(", ", All.Select(s => s.Name))}.");
}
