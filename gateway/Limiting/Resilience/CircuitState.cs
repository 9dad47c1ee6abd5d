namespace Gateway.Limiting.Resilience;

/// <summary>The store circuit: closed while the store answers, open while it does not.</summary>
public enum CircuitState
{
    /// <summary>Calls go to the store.</summary>
    Closed,

    /// <summary>Calls are not made; a background probe checks the store until it answers again.</summary>
    Open,
}
