namespace Gateway.Limiting.Resilience;

/// <summary>
/// Whether the store is ready to decide: the warm start (connection, scripts on every primary, each script run once, a
/// first heartbeat, the runtime overrides) has finished, or given up at its bound and left the gateway serving in its
/// failure mode. Until then <c>/readyz</c> answers 503, and a request that arrives anyway waits for it rather than be
/// decided cold.
/// </summary>
internal sealed class StoreReadiness
{
    private readonly TaskCompletionSource _settled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile string _stage = "starting";

    private StoreReadiness()
    {
    }

    /// <summary>Readiness of a store with nothing to warm (the in-memory store): settled from the start.</summary>
    public static StoreReadiness Immediate()
    {
        var readiness = new StoreReadiness();
        readiness.Complete(warm: true, problem: null);
        return readiness;
    }

    /// <summary>Readiness that the warm start will settle.</summary>
    public static StoreReadiness Pending() => new();

    public bool IsSettled => _settled.Task.IsCompleted;

    /// <summary>Completes when the warm start finished or gave up.</summary>
    public Task Settled => _settled.Task;

    /// <summary>True when the warm start finished every step; false while running or after giving up.</summary>
    public bool IsWarm { get; private set; }

    /// <summary>The step running, or why the warm start gave up.</summary>
    public string Stage => _stage;

    public void Enter(string stage) => _stage = stage;

    /// <summary>Settles readiness, once: later calls change nothing.</summary>
    public void Complete(bool warm, string? problem)
    {
        lock (_settled)
        {
            if (_settled.Task.IsCompleted)
            {
                return;
            }

            IsWarm = warm;
            _stage = warm ? "ready" : problem ?? "gave up";
            _settled.TrySetResult();
        }
    }
}
