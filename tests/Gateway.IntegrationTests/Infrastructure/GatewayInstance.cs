using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Hosting;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.IntegrationTests.Infrastructure;

/// <summary>
/// One real gateway (the app's own Program) on Kestrel on a free loopback port, configured from its own
/// appsettings folder in a temp directory, with a fake clock for the limiter so tests control windows exactly.
/// </summary>
public sealed class GatewayInstance : IAsyncDisposable
{
    private readonly WebApplicationFactory<Program> _factory;
    private readonly string _directory;
    private int _disposed;

    private GatewayInstance(WebApplicationFactory<Program> factory, string directory, FakeTimeProvider clock, Uri address)
    {
        _factory = factory;
        _directory = directory;
        Clock = clock;
        Address = address;
        Client = new HttpClient { BaseAddress = address };
    }

    public Uri Address { get; }

    /// <summary>The limiter's clock: starts at the beginning of a UTC day so every window in a test starts fresh.</summary>
    public FakeTimeProvider Clock { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => _factory.Services;

    public string AppSettingsPath => Path.Combine(_directory, "appsettings.json");

    public static Task<GatewayInstance> StartAsync(JsonObject config) => StartAsync(config, _ => { });

    public static async Task<GatewayInstance> StartAsync(JsonObject config, Action<IWebHostBuilder> configure)
    {
        var directory = Directory.CreateTempSubdirectory("gateway-test-").FullName;
        await WriteConfigAsync(Path.Combine(directory, "appsettings.json"), config);

        var clock = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseEnvironment("Testing");
            // Port 0: the OS picks a free loopback port, so instances and test classes never collide.
            builder.UseSetting(WebHostDefaults.ServerUrlsKey, "http://127.0.0.1:0");
            builder.UseSetting(AppSettingsLocation.DirectoryKey, directory);
            builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(clock));
            configure(builder);
        });
        factory.UseKestrel();
        factory.StartServer();
        var address = factory.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses
            .Select(a => new Uri(a))
            .Single();
        return new GatewayInstance(factory, directory, clock, address);
    }

    /// <summary>Rewrites the instance's appsettings.json, as an operator editing the file would.</summary>
    public Task RewriteConfigAsync(JsonObject config) => WriteConfigAsync(AppSettingsPath, config);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        Client.Dispose();
        await _factory.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file watcher may still hold the folder briefly; the temp folder is cleaned by the OS later.
        }
    }

    private static async Task WriteConfigAsync(string path, JsonObject config)
    {
        var json = config.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        var temp = path + ".tmp";
        await File.WriteAllTextAsync(temp, json);
        File.Move(temp, path, overwrite: true);
    }
}
