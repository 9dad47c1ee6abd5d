using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using SampleUpstream;

namespace Gateway.IntegrationTests.Infrastructure;

/// <summary>The real sample upstream on a free loopback port, counting what reaches it.</summary>
public sealed class UpstreamServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private UpstreamServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
        Counter = app.Services.GetRequiredService<RequestCounter>();
    }

    public Uri Address { get; }

    public RequestCounter Counter { get; }

    public static async Task<UpstreamServer> StartAsync()
    {
        var app = SampleUpstreamApp.Build(["--urls", "http://127.0.0.1:0"]);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new UpstreamServer(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
