using Gateway.Limiting.Algorithms;
using Gateway.Limiting.Policies;

namespace Gateway.Limiting.Storage;

/// <summary>
/// The counters of one partition (policy x subject). Every access holds the partition's own lock, which makes a
/// multi-rule decision atomic without any lock shared between partitions.
/// </summary>
internal sealed class InMemoryPartition
{
    private Slot[] _slots = [];

    /// <summary>Set, under the lock, when the sweeper has removed the partition; a caller that sees it looks up again.</summary>
    public bool Removed { get; set; }

    /// <summary>Microseconds since the epoch after which every counter here is back to its fresh state.</summary>
    public long ExpiresAt { get; private set; }

    /// <summary>Evaluates and, when every rule admits the request, consumes from all. Caller holds the lock.</summary>
    public RateLimitDecision Decide(in RateLimitRequest request, long now)
    {
        var rules = request.Rules.Rules;
        Span<int> slotIndexes = stackalloc int[rules.Length];
        Span<RuleEvaluation> evaluations = rules.Length <= 16 ? stackalloc RuleEvaluation[rules.Length] : new RuleEvaluation[rules.Length];
        var allAllowed = true;
        for (var i = 0; i < rules.Length; i++)
        {
            slotIndexes[i] = FindSlot(rules[i].StateKey);
            var state = slotIndexes[i] >= 0 ? _slots[slotIndexes[i]].State : default;
            evaluations[i] = RuleEvaluator.Evaluate(state, rules[i], now, request.Cost);
            allAllowed &= evaluations[i].Allowed;
        }

        Span<RuleResult> results = rules.Length <= 16 ? stackalloc RuleResult[rules.Length] : new RuleResult[rules.Length];
        if (allAllowed && request.Consume)
        {
            for (var i = 0; i < rules.Length; i++)
            {
                var slot = slotIndexes[i] >= 0 ? slotIndexes[i] : slotIndexes[i] = AddSlot(rules[i].StateKey, now, slotIndexes);
                _slots[slot].State = evaluations[i].NextState;
                _slots[slot].ExpiresAt = evaluations[i].NextStateExpiresAt;

                // Report the state after consumption: what the next request will find.
                var after = RuleEvaluator.Evaluate(evaluations[i].NextState, rules[i], now, 0);
                results[i] = new RuleResult(true, after.Remaining, after.ResetAfter, 0);
            }

            ExpiresAt = MaxExpiry();
        }
        else
        {
            // All or nothing: a request one rule rejects takes nothing from the others.
            for (var i = 0; i < rules.Length; i++)
            {
                var e = evaluations[i];
                results[i] = new RuleResult(e.Allowed, e.Remaining, e.ResetAfter, e.RetryAfter);
            }
        }

        return new RateLimitDecision(request.Rules, results);
    }

    /// <summary>Gives <see cref="RateLimitRequest.Cost"/> back to every rule that can take it. Caller holds the lock.</summary>
    public void Refund(in RateLimitRequest request, long now)
    {
        foreach (var rule in request.Rules.Rules)
        {
            var slot = FindSlot(rule.StateKey);
            if (slot >= 0)
            {
                _slots[slot].State = RuleRefund.Apply(_slots[slot].State, rule, now, request.Cost);
            }
        }
    }

    private int FindSlot(string stateKey)
    {
        var slots = _slots;
        for (var i = 0; i < slots.Length; i++)
        {
            if (ReferenceEquals(slots[i].Key, stateKey) || string.Equals(slots[i].Key, stateKey, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    private int AddSlot(string stateKey, long now, ReadOnlySpan<int> claimed)
    {
        // Reuse a slot whose state has expired (a rule removed by a reload or an expired override) before growing,
        // but never one another rule of this request is using: an expired state is still that rule's slot.
        for (var i = 0; i < _slots.Length; i++)
        {
            if (_slots[i].ExpiresAt <= now && !claimed.Contains(i))
            {
                _slots[i] = new Slot { Key = stateKey };
                return i;
            }
        }

        Array.Resize(ref _slots, _slots.Length + 1);
        _slots[^1] = new Slot { Key = stateKey };
        return _slots.Length - 1;
    }

    private long MaxExpiry()
    {
        long max = 0;
        foreach (var slot in _slots)
        {
            max = Math.Max(max, slot.ExpiresAt);
        }

        return max;
    }

    private struct Slot
    {
        public string Key;
        public RuleState State;
        public long ExpiresAt;
    }
}
