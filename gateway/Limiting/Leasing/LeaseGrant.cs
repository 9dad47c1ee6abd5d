using Gateway.Limiting.Storage;

namespace Gateway.Limiting.Leasing;

/// <summary>What the store granted.</summary>
/// <param name="Granted">Permits now consumed in the store on this instance's behalf; 0 when refused.</param>
/// <param name="Results">
/// Per rule: after a grant, the state the store was left in (remaining, reset); after a refusal, why (allowed,
/// remaining, reset, retry after) for <see cref="LeaseRequest.Need"/>. Microseconds relative to the store's clock.
/// </param>
/// <param name="StoreTime">The store's clock at the grant, in microseconds since the epoch; needed to give permits back.</param>
/// <param name="OthersHoldFor">How long other instances may still hold leases of the partition (microseconds; 0 if none).</param>
internal sealed record LeaseGrant(long Granted, RuleResult[] Results, long StoreTime, long OthersHoldFor);
