using System.Net;

namespace Gateway.LoadTests.Running;

/// <summary>Load goes to this machine only: a typo must not turn the runner on someone else's server.</summary>
public static class LoopbackGuard
{
    public static void Ensure(Uri target)
    {
        var host = target.IdnHost;
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address)))
        {
            return;
        }

        throw new ArgumentException($"Load tests target loopback only (127.0.0.1, ::1, localhost), not {target}.", nameof(target));
    }
}
