namespace Gateway.LoadTests.Scenarios;

/// <summary>A named load scenario: what it needs, and how it runs against a fleet of gateways.</summary>
public interface ILoadScenario
{
    /// <summary>The name it is selected by (<c>--scenario steady</c>).</summary>
    string Name { get; }

    string Description { get; }

    /// <summary>The fleet the scenario needs when the runner starts one itself.</summary>
    FleetRequirements Requirements { get; }

    Task<ScenarioResult> RunAsync(ScenarioContext context, CancellationToken cancellationToken);
}
