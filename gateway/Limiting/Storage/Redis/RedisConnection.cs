using StackExchange.Redis;

namespace Gateway.Limiting.Storage.Redis;

/// <summary>
/// The process's one <see cref="ConnectionMultiplexer"/>. Created without waiting for Redis
/// (<c>AbortOnConnectFail=false</c>): the gateway starts while Redis is down and the client keeps reconnecting.
/// </summary>
internal sealed class RedisConnection : IDisposable
{
    private readonly ConnectionMultiplexer _multiplexer;

    public RedisConnection(string configuration)
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        options.ClientName ??= "gateway";
        _multiplexer = ConnectionMultiplexer.Connect(options);
    }

    public ConnectionMultiplexer Multiplexer => _multiplexer;

    public IDatabase Database => _multiplexer.GetDatabase();

    public void Dispose() => _multiplexer.Dispose();
}
