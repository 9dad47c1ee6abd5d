namespace Gateway.IntegrationTests.Infrastructure;

/// <summary>
/// Base for test classes whose tests each need their own gateway (they move its clock or rewrite its config):
/// xunit creates the class per test, so each test gets a fresh upstream and gateway.
/// </summary>
public abstract class FreshGatewayTest : IAsyncLifetime
{
    private readonly GatewayFixture _fixture = new();

    protected UpstreamServer Upstream => _fixture.Upstream;

    protected GatewayInstance Gateway => _fixture.Gateway;

    public Task InitializeAsync() => _fixture.InitializeAsync();

    public Task DisposeAsync() => _fixture.DisposeAsync();
}
