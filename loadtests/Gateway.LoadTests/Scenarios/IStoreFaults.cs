namespace Gateway.LoadTests.Scenarios;

/// <summary>Breaks and restores the gateways' shared store (Redis) in the middle of a run.</summary>
public interface IStoreFaults
{
    /// <summary>What <see cref="BreakAsync"/> does, for the report (e.g. "redis-server killed with SIGKILL").</summary>
    string Description { get; }

    Task BreakAsync(CancellationToken cancellationToken);

    Task RestoreAsync(CancellationToken cancellationToken);
}
