using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Gateway.IntegrationTests.Infrastructure;

namespace Gateway.IntegrationTests.ColdStart;

/// <summary>
/// While the warm start runs, <c>/readyz</c> answers 503 and says what it waits for, and a request that comes anyway
/// waits for it instead of being decided cold; a Redis that never becomes ready leaves the gateway Degraded (200),
/// serving in the policy's failure mode. The "Redis" here accepts connections and never answers, so connecting
/// takes the whole connect timeout (4 s, set in the configuration string).
/// </summary>
public sealed class WarmStartReadinessTests
{
    [Fact]
    public async Task WhileConnecting_ReadyzIs503_AndARequestWaits_ThenIsDecidedInTheFailureMode()
    {
        using var silent = new TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        var accepted = new List<TcpClient>();
        var accepting = AcceptForeverAsync(silent, accepted);
        await using var upstream = await UpstreamServer.StartAsync();
        var redis = $"127.0.0.1:{((System.Net.IPEndPoint)silent.LocalEndpoint).Port},connectTimeout=4000,connectRetry=0";
        await using var gateway = await GatewayInstance.StartAsync(GatewayConfig.Default(upstream.Address).WithRedis(redis));
        var subject = "warm-" + Guid.NewGuid().ToString("N");

        using var starting = await gateway.Client.GetAsync("/readyz");
        var startingBody = await starting.Content.ReadAsStringAsync();
        var request = gateway.Client.GetAsync("/api/orders/" + subject, TestTokens.Create(subject, "free"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, starting.StatusCode);
        Assert.Equal("connecting", Store(startingBody).GetProperty("warmStart").GetString());
        Assert.Equal("starting", Store(startingBody).GetProperty("mode").GetString());
        // Not decided while the warm start runs: it waits for the outcome (here, that Redis never answers).
        Assert.False(request.IsCompleted);

        using var response = await request;
        using var ready = await gateway.Client.GetAsync("/readyz");
        var readyBody = await ready.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Degraded", Store(readyBody).GetProperty("status").GetString());
        Assert.Equal(1, Store(readyBody).GetProperty("failureModeDecisions").GetInt64());
        silent.Stop();
        await accepting;
        accepted.ForEach(static c => c.Dispose());
    }

    private static JsonElement Store(string body) => JsonDocument.Parse(body).RootElement.GetProperty("store").Clone();

    private static async Task AcceptForeverAsync(TcpListener listener, List<TcpClient> accepted)
    {
        try
        {
            while (true)
            {
                accepted.Add(await listener.AcceptTcpClientAsync());
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // Stopped.
        }
    }
}
