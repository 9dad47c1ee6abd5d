namespace Gateway.Limiting.Overrides;

/// <summary>What one instance tells every other through the store's channel.</summary>
internal static class ControlMessage
{
    /// <summary>Runtime overrides changed: reload them.</summary>
    public const string OverridesChanged = "overrides";

    /// <summary>Prefix of a reset: <c>reset:{partitionKey}</c>, drop local state of that partition.</summary>
    public const string ResetPrefix = "reset:";
}
