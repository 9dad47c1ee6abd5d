using System.Net;
using System.Net.Sockets;

namespace Gateway.LoadTests.Hosting;

/// <summary>Free loopback ports for the processes a run starts.</summary>
public static class LoopbackPorts
{
    /// <summary>A free port below the ephemeral range, where no outgoing connection can take it meanwhile.</summary>
    public static int Next()
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = Random.Shared.Next(10_000, 22_000);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                listener.Stop();
                return port;
            }
            catch (SocketException)
            {
                // Taken; try another.
            }
        }

        throw new InvalidOperationException("No free loopback port found.");
    }
}
