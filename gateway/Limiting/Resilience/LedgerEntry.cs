using Gateway.Limiting.Policies;

namespace Gateway.Limiting.Resilience;

/// <summary>Permits admitted on local fallback for one key, rule set and cell, taken out of the ledger to be reconciled.</summary>
/// <param name="PartitionKey">Whose counters.</param>
/// <param name="Rules">The rules the permits count against (the full rules, not the fallback's share).</param>
/// <param name="Permits">How many.</param>
/// <param name="At">Redis time (microseconds) of the first of them, as this instance estimated it.</param>
/// <param name="RelevantUntil">Redis time past which they no longer change any decision.</param>
internal readonly record struct LedgerEntry(string PartitionKey, RuleSet Rules, long Permits, long At, long RelevantUntil);
