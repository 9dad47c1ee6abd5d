using Gateway.Limiting.Policies;

namespace Gateway.Limiting.Leasing;

/// <summary>Unused permits going back to the store.</summary>
/// <param name="PartitionKey">Whose counters.</param>
/// <param name="Rules">The rules the permits were taken from.</param>
/// <param name="Count">Permits never handed out.</param>
/// <param name="GrantedAtStoreTime">The store's clock when they were granted: windows take back only their own permits.</param>
/// <param name="LastLease">True when the instance holds no other lease of the partition, so its lease mark can go.</param>
internal readonly record struct LeaseRelease(string PartitionKey, RuleSet Rules, long Count, long GrantedAtStoreTime, bool LastLease);
