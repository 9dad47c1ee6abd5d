using System.Collections.Frozen;
using Gateway.Hosting;
using Gateway.Limiting.Policies;
using Gateway.Limiting.Resilience;
using Microsoft.Extensions.Logging;

namespace Gateway.Limiting.Overrides;

/// <summary>
/// This instance's copy of the runtime overrides: an immutable snapshot swapped whole, read lock-free on every
/// request. Reloaded from the shared store when any instance announces a change (pub/sub), and every
/// <see cref="ResyncInterval"/> in any case, so a missed message heals. A reset announcement drops this instance's
/// local state of the partition (leases, cached refusals).
/// </summary>
internal sealed partial class OverrideRegistry : IDisposable
{
    public static readonly TimeSpan ResyncInterval = TimeSpan.FromSeconds(5);

    private readonly ILimitsControlStore _store;
    private readonly RateLimitingSettingsProvider _settings;
    private readonly TimeProvider _time;
    private readonly ILogger<OverrideRegistry> _logger;
    private readonly ITimer _resync;
    private readonly Lock _gate = new();
    private TaskCompletionSource _nextRun = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _running;
    private bool _rerun;
    private FrozenDictionary<string, RuntimeOverride> _overrides = FrozenDictionary<string, RuntimeOverride>.Empty;
    private volatile bool _subscribed;

    public OverrideRegistry(ILimitsControlStore store, RateLimitingSettingsProvider settings, TimeProvider time, ILogger<OverrideRegistry> logger)
    {
        _store = store;
        _settings = settings;
        _time = time;
        _logger = logger;
        // Real time: the resync paces I/O.
        _resync = TimeProvider.System.CreateTimer(static s => _ = ((OverrideRegistry)s!).ReloadAsync(), this, TimeSpan.Zero, ResyncInterval);
    }

    /// <summary>Whether the last read of the shared store succeeded (false before the first).</summary>
    public bool LastLoadSucceeded { get; private set; }

    /// <summary>Called with a partition key when any instance resets it.</summary>
    public event Action<string>? PartitionReset;

    /// <summary>The runtime override of <paramref name="subject"/> for <paramref name="policy"/>, if one is active now.</summary>
    public RuntimeOverride? Find(string? subject)
    {
        if (subject is null || !Volatile.Read(ref _overrides).TryGetValue(subject, out var found) || !found.IsActive(_time.GetUtcNow()))
        {
            return null;
        }

        return found;
    }

    /// <summary>The rules for a caller: a runtime override beats a configured one, which beats the tier's rules.</summary>
    public RuleSet Resolve(RateLimitingSettings settings, RateLimitPolicy policy, string? subject, string tier) =>
        FindRules(subject, policy.Name) ?? settings.ResolveRules(policy, subject, tier);

    public RuleSet? FindRules(string? subject, string policy) =>
        Find(subject) is { } found && found.Policies.TryGetValue(policy, out var rules) ? rules : null;

    /// <summary>
    /// Reads every override from the shared store and swaps the snapshot. The returned task completes when a read that
    /// started after this call has finished: a change written just before the call is in force when it completes. A
    /// call during a read does not start a second one at once; it makes the running one go round once more.
    /// </summary>
    public Task ReloadAsync()
    {
        Task waiter;
        lock (_gate)
        {
            waiter = _nextRun.Task;
            if (_running)
            {
                _rerun = true;
                return waiter;
            }

            _running = true;
        }

        _ = RunReloadsAsync();
        return waiter;
    }

    public void Dispose() => _resync.Dispose();

    private async Task RunReloadsAsync()
    {
        while (true)
        {
            TaskCompletionSource finished;
            lock (_gate)
            {
                finished = _nextRun;
                _nextRun = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _rerun = false;
            }

            await ReloadOnceAsync().ConfigureAwait(false);
            finished.SetResult();
            lock (_gate)
            {
                if (!_rerun)
                {
                    _running = false;
                    return;
                }
            }
        }
    }

    private async Task ReloadOnceAsync()
    {
        try
        {
            if (!_subscribed)
            {
                await SubscribeAsync().ConfigureAwait(false);
            }

            var documents = await _store.LoadOverridesAsync(CancellationToken.None).ConfigureAwait(false);
            var settings = _settings.Current;
            var current = Volatile.Read(ref _overrides);
            var loaded = new Dictionary<string, RuntimeOverride>(StringComparer.Ordinal);
            foreach (var (subject, json) in documents)
            {
                // Unchanged documents keep their rule set objects: leases taken under them stay valid.
                if (current.TryGetValue(subject, out var existing) && existing.Document == json)
                {
                    loaded[subject] = existing;
                    continue;
                }

                var errors = new ConfigurationErrors();
                if (OverrideDocument.Parse(subject, json, settings, errors) is { } parsed)
                {
                    loaded[subject] = parsed;
                }
                else
                {
                    Log.StoredOverrideInvalid(_logger, string.Join("; ", errors.Entries.Select(static e => $"{e.Key}: {e.Value}")));
                }
            }

            Volatile.Write(ref _overrides, loaded.ToFrozenDictionary(StringComparer.Ordinal));
            LastLoadSucceeded = true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The store is down: the last snapshot keeps serving.
            LastLoadSucceeded = false;
            Log.ReloadFailed(_logger, e.Message);
        }
    }

    private async Task SubscribeAsync()
    {
        try
        {
            await _store.SubscribeAsync(OnMessage, CancellationToken.None).ConfigureAwait(false);
            _subscribed = true;
        }
        catch (StoreUnavailableException e)
        {
            // Not connected yet (start-up) or Redis is down: the warm start or the next resync subscribes.
            Log.SubscribeDeferred(_logger, e.Message);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Retried on the next resync; until then changes arrive with the resync. (Redis down: one line, no trace.)
            Log.SubscribeFailed(_logger, e.Message);
        }
    }

    private void OnMessage(string message)
    {
        if (message == ControlMessage.OverridesChanged)
        {
            _ = ReloadAsync();
        }
        else if (message.StartsWith(ControlMessage.ResetPrefix, StringComparison.Ordinal))
        {
            PartitionReset?.Invoke(message[ControlMessage.ResetPrefix.Length..]);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1501, Level = LogLevel.Warning, Message = "Could not subscribe to limit changes ({Reason}); relying on the periodic resync.")]
        public static partial void SubscribeFailed(ILogger logger, string reason);

        [LoggerMessage(EventId = 1504, Level = LogLevel.Debug, Message = "Not subscribed to limit changes yet: {Reason}")]
        public static partial void SubscribeDeferred(ILogger logger, string reason);

        [LoggerMessage(EventId = 1502, Level = LogLevel.Debug, Message = "Could not reload runtime overrides: {Reason}")]
        public static partial void ReloadFailed(ILogger logger, string reason);

        [LoggerMessage(EventId = 1503, Level = LogLevel.Warning, Message = "A stored runtime override no longer fits the configuration and is ignored: {Problems}")]
        public static partial void StoredOverrideInvalid(ILogger logger, string problems);
    }
}
