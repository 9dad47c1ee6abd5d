namespace Gateway.LoadTests.Scenarios;

/// <summary>How many gateway instances a scenario needs, and whether they must share Redis or need a store fault switch.</summary>
public sealed record FleetRequirements(int Gateways = 1, bool Redis = false, bool StoreFaults = false);
