using System.Collections.Concurrent;
using Gateway.Limiting.Policies;
using Gateway.Limiting.Storage;

namespace Gateway.Limiting.Overrides;

/// <summary>The control store of a single instance: overrides in memory, resets on the in-memory counters, a local channel.</summary>
internal sealed class InMemoryLimitsControlStore : ILimitsControlStore
{
    private readonly ConcurrentDictionary<string, string> _overrides = new(StringComparer.Ordinal);
    private readonly InMemoryRateLimitStore _counters;
    private event Action<string>? Published;

    public InMemoryLimitsControlStore(InMemoryRateLimitStore counters) => _counters = counters;

    public Task SaveOverrideAsync(string subject, string document, CancellationToken cancellationToken)
    {
        _overrides[subject] = document;
        return Task.CompletedTask;
    }

    public Task<bool> DeleteOverrideAsync(string subject, CancellationToken cancellationToken) => Task.FromResult(_overrides.TryRemove(subject, out _));

    public Task<IReadOnlyDictionary<string, string>> LoadOverridesAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>(_overrides, StringComparer.Ordinal));

    public Task ResetCountersAsync(string partitionKey, IEnumerable<RateLimitRule> rules, CancellationToken cancellationToken)
    {
        _counters.Reset(partitionKey);
        return Task.CompletedTask;
    }

    public Task PublishAsync(string message, CancellationToken cancellationToken)
    {
        Published?.Invoke(message);
        return Task.CompletedTask;
    }

    public Task SubscribeAsync(Action<string> handler, CancellationToken cancellationToken)
    {
        Published += handler;
        return Task.CompletedTask;
    }
}
