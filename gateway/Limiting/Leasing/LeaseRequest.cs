using Gateway.Limiting.Policies;

namespace Gateway.Limiting.Leasing;

/// <summary>A request for a batch of permits.</summary>
/// <param name="PartitionKey">Whose counters, as in <see cref="Storage.RateLimitRequest"/>.</param>
/// <param name="Rules">The rules every permit must satisfy.</param>
/// <param name="Need">The fewest permits worth having: the cost of the request waiting for them.</param>
/// <param name="Want">The most to take; the store may grant fewer as the key nears its limit.</param>
/// <param name="HoldForMicroseconds">How long this instance may keep the lease (plus the time to give it back).</param>
/// <param name="StillHolding">Whether the instance still holds permits of this partition (a refill before the lease runs dry).</param>
internal readonly record struct LeaseRequest(
    string PartitionKey, RuleSet Rules, long Need, long Want, long HoldForMicroseconds, bool StillHolding);
