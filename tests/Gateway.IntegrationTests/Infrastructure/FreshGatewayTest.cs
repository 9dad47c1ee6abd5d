namespace Gateway.IntegrationTests.Infrastructure;

/// <summary>
/// Base for test classes whose tests each need their own gateway (they move its clock or rewrite its config):
/// xunit creates the class per test, so each test gets a fresh upstream and gateway.
/// </summary>
public abstract class FreshGatewayTest : IAsyncLifetime
{
    protected UpstreamServer Upstream { get; private set; } = null!;

    protected GatewayInstance Gateway { get; private set; } = null!;

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
