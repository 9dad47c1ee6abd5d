namespace Gateway.Limiting.Storage;

/// <summary>Where counters live.</summary>
public enum StoreKind
{
    /// <summary>In this process: exact for one instance, the embedded default.</summary>
    InMemory,

    /// <summary>Redis, standalone or Cluster: shared by every instance.</summary>
    Redis,
}
