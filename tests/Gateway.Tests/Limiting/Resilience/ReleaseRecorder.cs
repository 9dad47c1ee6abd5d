using Gateway.Limiting.Leasing;

namespace Gateway.Tests.Limiting.Resilience;

/// <summary>Where late answers give permits back: records every release, grants nothing.</summary>
internal sealed class ReleaseRecorder : ILeaseSource
{
    private readonly List<LeaseRelease> _releases = [];

    public IReadOnlyList<LeaseRelease> Releases
    {
        get
        {
            lock (_releases)
            {
                return [.. _releases];
            }
        }
    }

    public ValueTask<LeaseGrant> GrantAsync(LeaseRequest request, CancellationToken cancellationToken) =>
        throw new NotSupportedException("Late answers only give permits back.");

    public Task ReleaseAsync(LeaseRelease release, CancellationToken cancellationToken)
    {
        lock (_releases)
        {
            _releases.Add(release);
        }

        return Task.CompletedTask;
    }
}
