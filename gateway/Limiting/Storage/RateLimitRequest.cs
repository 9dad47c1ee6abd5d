using Gateway.Limiting.Policies;
using Gateway.Limiting.Resilience;

namespace Gateway.Limiting.Storage;

/// <summary>One decision to make.</summary>
/// <param name="PartitionKey">Whose counters: <c>{policy}|{subject}</c>, or <c>{policy}</c> for a global policy.</param>
/// <param name="Rules">The rules that apply to this caller.</param>
/// <param name="Cost">Permits the request takes from each rule.</param>
/// <param name="Consume">False to peek: evaluate without taking anything.</param>
/// <param name="Exact">True to decide in the shared store itself, bypassing local leases (a policy with <c>Leases: false</c>).</param>
/// <param name="FailureMode">What to do when the shared store cannot decide.</param>
public readonly record struct RateLimitRequest(
    string PartitionKey, RuleSet Rules, long Cost, bool Consume = true, bool Exact = false, FailureMode FailureMode = FailureMode.LocalFallback);
