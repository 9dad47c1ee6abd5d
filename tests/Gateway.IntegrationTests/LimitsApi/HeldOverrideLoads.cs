using Gateway.Limiting.Overrides;
using Gateway.Limiting.Policies;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.IntegrationTests.LimitsApi;

/// <summary>
/// The gateway's own control store (Redis) with one test hook: armed, the next load of the overrides reads the store
/// as usual, says so, and holds its result for a while before handing it over, as a slow Redis reply or a large hash
/// would. That opens, on purpose, the window in which a reload is in flight with a snapshot read before a change.
/// </summary>
internal sealed class HeldOverrideLoads : ILimitsControlStore
{
    private readonly ILimitsControlStore _inner;
    private Armed? _armed;

    public HeldOverrideLoads(ILimitsControlStore inner) => _inner = inner;

    /// <summary>Replaces the registered control store with this wrapper around it (in ConfigureTestServices).</summary>
    public static void Install(IServiceCollection services)
    {
        var original = services.Last(static d => d.ServiceType == typeof(ILimitsControlStore));
        var factory = original.ImplementationFactory ?? throw new InvalidOperationException("The control store is expected to be registered by a factory.");
        services.Remove(original);
        services.AddSingleton(sp => new HeldOverrideLoads((ILimitsControlStore)factory(sp)));
        services.AddSingleton<ILimitsControlStore>(static sp => sp.GetRequiredService<HeldOverrideLoads>());
    }

    /// <summary>Completes when the next load has read the store; that load then holds its result for <paramref name="hold"/>.</summary>
    public Task ArmAsync(TimeSpan hold)
    {
        var armed = new Armed(hold, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        Volatile.Write(ref _armed, armed);
        return armed.Read.Task;
    }

    public async Task<IReadOnlyDictionary<string, string>> LoadOverridesAsync(CancellationToken cancellationToken)
    {
        var documents = await _inner.LoadOverridesAsync(cancellationToken);
        if (Interlocked.Exchange(ref _armed, null) is { } armed)
        {
            armed.Read.SetResult();
            await Task.Delay(armed.Hold, cancellationToken);
        }

        return documents;
    }

    public Task SaveOverrideAsync(string subject, string document, CancellationToken cancellationToken) =>
        _inner.SaveOverrideAsync(subject, document, cancellationToken);

    public Task<bool> DeleteOverrideAsync(string subject, CancellationToken cancellationToken) =>
        _inner.DeleteOverrideAsync(subject, cancellationToken);

    public Task ResetCountersAsync(string partitionKey, IEnumerable<RateLimitRule> rules, CancellationToken cancellationToken) =>
        _inner.ResetCountersAsync(partitionKey, rules, cancellationToken);

    public Task PublishAsync(string message, CancellationToken cancellationToken) => _inner.PublishAsync(message, cancellationToken);

    public Task SubscribeAsync(Action<string> handler, CancellationToken cancellationToken) => _inner.SubscribeAsync(handler, cancellationToken);

    private sealed record Armed(TimeSpan Hold, TaskCompletionSource Read);
}
