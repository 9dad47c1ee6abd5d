using System.Net;

namespace Gateway.LoadTests.Running;

/// <summary>HTTP clients for load: one pooled connection set per target, no cookies, no proxy, loopback only.</summary>
public static class LoadClients
{
    /// <summary>A request without a response after this long counts as an error.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static HttpClient Create(Uri target, int maxConnections = 256)
    {
        LoopbackGuard.Ensure(target);
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = maxConnections,
            UseCookies = false,
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(5),
        };
        // The runner's own per-request deadline (Timeout) covers the body too; the client's would stop at the headers.
        return new HttpClient(handler) { BaseAddress = target, Timeout = System.Threading.Timeout.InfiniteTimeSpan };
    }
}
