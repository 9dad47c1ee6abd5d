namespace Gateway.Limiting.Leasing;

/// <summary>A shared store that can hand out permits in batches and take unused ones back.</summary>
internal interface ILeaseSource
{
    /// <summary>
    /// Consumes between <see cref="LeaseRequest.Need"/> and <see cref="LeaseRequest.Want"/> permits from every rule,
    /// atomically, or none when the rules cannot spare <see cref="LeaseRequest.Need"/>.
    /// </summary>
    ValueTask<LeaseGrant> GrantAsync(LeaseRequest request, CancellationToken cancellationToken);

    /// <summary>Gives back permits of a lease that were never handed out.</summary>
    Task ReleaseAsync(LeaseRelease release, CancellationToken cancellationToken);
}
