using System.Collections.Concurrent;

namespace Gateway.Limiting.Storage;

/// <summary>
/// Fire-and-forget work kept in sight (permits going back, late answers being settled), so a stopping gateway can wait
/// for it before the Redis connection it needs closes.
/// </summary>
internal sealed class PendingTasks
{
    private readonly ConcurrentDictionary<Task, byte> _tasks = new();

    public int Count => _tasks.Count;

    public void Track(Task task)
    {
        if (task.IsCompleted)
        {
            return;
        }

        _tasks.TryAdd(task, 0);
        task.ContinueWith(static (t, s) => ((ConcurrentDictionary<Task, byte>)s!).TryRemove(t, out _), _tasks, TaskScheduler.Default);
    }

    /// <summary>Completes when everything tracked now has completed.</summary>
    public Task WhenAll() => Task.WhenAll(_tasks.Keys);
}
