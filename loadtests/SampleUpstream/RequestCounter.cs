using System.Collections.Concurrent;

namespace SampleUpstream;

/// <summary>Counts every request the upstream served, in total and per path, so tests can check what got through.</summary>
public sealed class RequestCounter
{
    private readonly ConcurrentDictionary<string, long> _byPath = new(StringComparer.Ordinal);
    private long _total;

    public long Total => Interlocked.Read(ref _total);

    public IReadOnlyDictionary<string, long> ByPath => new Dictionary<string, long>(_byPath, StringComparer.Ordinal);

    public void Record(string path)
    {
        Interlocked.Increment(ref _total);
        _byPath.AddOrUpdate(path, 1, static (_, n) => n + 1);
    }

    public long ForPath(string path) => _byPath.TryGetValue(path, out var n) ? n : 0;

    public void Reset()
    {
        _byPath.Clear();
        Interlocked.Exchange(ref _total, 0);
    }
}
