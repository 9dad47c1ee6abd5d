using System.Net.Http;
using System.Net.Sockets;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Limiting;

/// <summary>
/// Whether a failed forward provably never reached the backend: only then may a policy with
/// <c>RefundBackendFailures</c> give the request's permits back. A request the backend may have received (a timeout,
/// a reset while sending, a client that gave up while the backend worked) counts: refunding it would let a client
/// that aborts on purpose make the backend work for free.
/// </summary>
internal static class BackendReach
{
    public static bool NeverReached(IForwarderErrorFeature failure) => failure.Error switch
    {
        // No destination was even chosen.
        ForwarderError.NoAvailableDestinations => true,
        // Failed to connect, send the headers or read the response headers: only a failure to connect proves the
        // request never left.
        ForwarderError.Request => FailedToConnect(failure.Exception),
        _ => false,
    };

    private static bool FailedToConnect(Exception? exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError })
            {
                return true;
            }

            if (current is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostNotFound })
            {
                return true;
            }
        }

        return false;
    }
}
