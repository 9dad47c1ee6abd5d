namespace Gateway.IntegrationTests.Distributed;

/// <summary>
/// Multi-instance tests run alone, after the parallel ones: they measure Redis's server-wide command counts, and
/// their real-clock windows should not compete with the rest of the suite for the machine's two cores.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DistributedCollection
{
    public const string Name = "Distributed";
}
