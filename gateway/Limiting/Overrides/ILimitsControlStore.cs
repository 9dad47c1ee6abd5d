using Gateway.Limiting.Policies;

namespace Gateway.Limiting.Overrides;

/// <summary>
/// The shared side of the limits API: runtime overrides, counter resets, and a channel every instance listens on,
/// so a change made through one instance applies on all of them.
/// </summary>
internal interface ILimitsControlStore
{
    Task SaveOverrideAsync(string subject, string document, CancellationToken cancellationToken);

    Task<bool> DeleteOverrideAsync(string subject, CancellationToken cancellationToken);

    /// <summary>Every stored override document, by subject.</summary>
    Task<IReadOnlyDictionary<string, string>> LoadOverridesAsync(CancellationToken cancellationToken);

    /// <summary>Deletes the counters of one partition for the given rules (and its lease marks).</summary>
    Task ResetCountersAsync(string partitionKey, IEnumerable<RateLimitRule> rules, CancellationToken cancellationToken);

    Task PublishAsync(string message, CancellationToken cancellationToken);

    /// <summary>Calls <paramref name="handler"/> for every message any instance publishes (this one included).</summary>
    Task SubscribeAsync(Action<string> handler, CancellationToken cancellationToken);
}
