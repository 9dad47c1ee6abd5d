namespace Gateway.IntegrationTests.Infrastructure;

/// <summary>A sample upstream and one gateway with the default test config, shared by the tests of a class.</summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    public UpstreamServer Upstream { get; private set; } = null!;

    public GatewayInstance Gateway { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Upstream = await UpstreamServer.StartAsync();
        Gateway = await GatewayInstance.StartAsync(GatewayConfig.Default(Upstream.Address));
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Upstream.DisposeAsync();
    }
}
