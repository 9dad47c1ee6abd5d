namespace Gateway.Limiting.Storage;

/// <summary>What a decision rests on: the shared counters, or a policy's failure mode while the store is unavailable.</summary>
public enum DecisionBasis
{
    /// <summary>The store's counters (directly or through a lease taken from them).</summary>
    Shared,

    /// <summary>This instance's own counters at the limits divided by the live instances (failure mode LocalFallback).</summary>
    LocalFallback,

    /// <summary>Admitted without a decision (failure mode FailOpen): no RateLimit fields are sent.</summary>
    FailOpen,

    /// <summary>Not decided (failure mode FailClosed): the request is refused with 503.</summary>
    Unavailable,
}
