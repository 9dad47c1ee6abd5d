using Gateway.Limiting.Policies;
using StackExchange.Redis;

namespace Gateway.Limiting.Storage.Redis;

/// <summary>
/// Key layout: <c>{prefix}{{partition}}:{algorithm}:{window}</c>, e.g. <c>rl:{orders|u:alice}:fw:60000000</c>.
/// The braces are a Cluster hash tag: every rule of one (policy, subject) lands in one slot, so one script can
/// touch them all, while different subjects spread over the slots. Subjects never contain braces (SubjectKey
/// hashes those) and policy names are restricted to letters, digits, '.', '-' and '_'.
/// </summary>
internal sealed class RedisKeys
{
    private readonly string _prefix;

    public RedisKeys(string prefix) => _prefix = prefix;

    public RedisKey ForRule(string partitionKey, RateLimitRule rule) =>
        string.Concat(_prefix, "{", partitionKey, "}:", rule.StateKey);

    /// <summary>The hash of lease marks of a partition (instance id to lease expiry), in the partition's slot.</summary>
    public RedisKey ForLeaseMarks(string partitionKey) =>
        string.Concat(_prefix, "{", partitionKey, "}:leases");
}
