using Gateway.Limiting.Policies;

namespace Gateway.Limiting.Leasing;

/// <summary>
/// What permits a store call took after it missed its deadline pay for first: the requests decided in the meantime by
/// the policy's failure mode, in the same window. The fallback ledger is the one implementation.
/// </summary>
internal interface ILateGrantAbsorber
{
    /// <summary>Takes up to <paramref name="granted"/> fallback admissions of the window at Redis time <paramref name="storeTime"/> as paid; returns how many.</summary>
    long Absorb(string partitionKey, RuleSet rules, long storeTime, long granted);
}
