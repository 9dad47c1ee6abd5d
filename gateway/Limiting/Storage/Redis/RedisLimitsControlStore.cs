using Gateway.Limiting.Overrides;
using Gateway.Limiting.Policies;
using StackExchange.Redis;

namespace Gateway.Limiting.Storage.Redis;

/// <summary>
/// Runtime overrides in one hash (<c>{prefix}overrides</c>: subject to JSON document), resets as DEL of a partition's
/// keys, and a pub/sub channel (<c>{prefix}control</c>) every instance listens on. The hash is configuration, not a
/// counter, but it too carries a TTL (400 days, renewed on every change) so nothing the gateway writes lives forever.
/// </summary>
internal sealed class RedisLimitsControlStore : ILimitsControlStore
{
    private static readonly TimeSpan OverridesTimeToLive = TimeSpan.FromDays(400);

    private readonly RedisConnection _connection;
    private readonly RedisKeys _keys;
    private readonly RedisKey _overrides;
    private readonly RedisChannel _channel;

    public RedisLimitsControlStore(RedisConnection connection, RedisKeys keys, string keyPrefix)
    {
        _connection = connection;
        _keys = keys;
        _overrides = keyPrefix + "overrides";
        _channel = RedisChannel.Literal(keyPrefix + "control");
    }

    public async Task SaveOverrideAsync(string subject, string document, CancellationToken cancellationToken)
    {
        var database = _connection.Database;
        await database.HashSetAsync(_overrides, subject, document, flags: CommandFlags.DemandMaster).WaitAsync(_connection.Deadline * 10, cancellationToken).ConfigureAwait(false);
        await database.KeyExpireAsync(_overrides, OverridesTimeToLive, CommandFlags.DemandMaster).WaitAsync(_connection.Deadline * 10, cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> DeleteOverrideAsync(string subject, CancellationToken cancellationToken) =>
        await _connection.Database.HashDeleteAsync(_overrides, subject, CommandFlags.DemandMaster).WaitAsync(_connection.Deadline * 10, cancellationToken).ConfigureAwait(false);

    public async Task<IReadOnlyDictionary<string, string>> LoadOverridesAsync(CancellationToken cancellationToken)
    {
        var entries = await _connection.Database.HashGetAllAsync(_overrides, CommandFlags.DemandMaster).WaitAsync(_connection.Deadline * 10, cancellationToken).ConfigureAwait(false);
        return entries.ToDictionary(static e => e.Name.ToString(), static e => e.Value.ToString(), StringComparer.Ordinal);
    }

    public async Task ResetCountersAsync(string partitionKey, IEnumerable<RateLimitRule> rules, CancellationToken cancellationToken)
    {
        // All keys of one partition share its hash tag: one DEL, one slot, also on a Cluster.
        var keys = rules.DistinctBy(static r => r.StateKey).Select(r => _keys.ForRule(partitionKey, r)).Append(_keys.ForLeaseMarks(partitionKey)).ToArray();
        await _connection.Database.KeyDeleteAsync(keys, CommandFlags.DemandMaster).WaitAsync(_connection.Deadline * 10, cancellationToken).ConfigureAwait(false);
    }

    public async Task PublishAsync(string message, CancellationToken cancellationToken) =>
        await _connection.Multiplexer.GetSubscriber().PublishAsync(_channel, message).WaitAsync(_connection.Deadline * 10, cancellationToken).ConfigureAwait(false);

    public async Task SubscribeAsync(Action<string> handler, CancellationToken cancellationToken) =>
        await _connection.Multiplexer.GetSubscriber().SubscribeAsync(_channel, (_, message) => handler(message.ToString())).ConfigureAwait(false);
}
