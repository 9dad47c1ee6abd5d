using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Gateway.IntegrationTests.Hardening;

/// <summary>
/// HTTP/1.1 over a bare socket, for requests HttpClient will not send as written: dot segments and other targets it
/// normalises, repeated header lines (it folds them into one), non-ASCII header bytes (it refuses them), absolute-form
/// targets. Each request opens its own connection and asks the server to close it, so the response ends with the stream.
/// </summary>
internal static class RawHttp
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Sends <c>{method} {target} HTTP/1.1</c> with a Host header, the given header lines and no body. The text goes
    /// out as UTF-8, so a non-ASCII character arrives as the bytes a UTF-8 client would send.
    /// </summary>
    public static Task<RawResponse> SendAsync(Uri server, string target, IEnumerable<string>? headerLines = null, string method = "GET")
    {
        var request = new StringBuilder()
            .Append(method).Append(' ').Append(target).Append(" HTTP/1.1\r\n")
            .Append("Host: ").Append(server.Authority).Append("\r\n")
            .Append("Connection: close\r\n");
        foreach (var line in headerLines ?? [])
        {
            request.Append(line).Append("\r\n");
        }

        request.Append("\r\n");
        return SendBytesAsync(server, Encoding.UTF8.GetBytes(request.ToString()));
    }

    /// <summary>Writes <paramref name="request"/> as is and reads the response to the end of the stream.</summary>
    public static async Task<RawResponse> SendBytesAsync(Uri server, byte[] request)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Parse(server.Host), server.Port, timeout.Token);
        var stream = client.GetStream();
        try
        {
            await stream.WriteAsync(request, timeout.Token);
        }
        catch (IOException)
        {
            // The server answered and closed before taking all of an oversized request; its answer is still there to read.
        }

        using var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (IOException) when (received.Length > 0)
        {
            // Reset after the answer (the server had not read everything we sent): the answer is what counts.
        }

        var text = Encoding.Latin1.GetString(received.ToArray());
        var statusLine = text.Split("\r\n", 2)[0];
        var parts = statusLine.Split(' ', 3);
        if (parts.Length < 2 || !int.TryParse(parts[1], out var status))
        {
            throw new InvalidOperationException($"Not an HTTP response: '{statusLine}'");
        }

        return new RawResponse((HttpStatusCode)status, text);
    }
}

/// <summary>A response read off the wire: its status and its whole text (head and body).</summary>
internal sealed partial record RawResponse(HttpStatusCode Status, string Text)
{
    /// <summary>A header's values joined by ", ", or null when absent.</summary>
    public string? Header(string name)
    {
        var headEnd = Text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var head = headEnd < 0 ? Text : Text[..headEnd];
        var values = head.Split("\r\n").Skip(1)
            .Select(line => line.Split(':', 2))
            .Where(pair => pair.Length == 2 && pair[0].Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
            .Select(pair => pair[1].Trim())
            .ToList();
        return values.Count == 0 ? null : string.Join(", ", values);
    }

    /// <summary>
    /// The client address the sample upstream saw in <c>X-Forwarded-For</c> (it echoes it): the address the gateway
    /// resolved for the caller, which is what its anonymous budget is keyed by.
    /// </summary>
    public string? EchoedForwardedFor =>
        EchoedForwardedForPattern().Match(Text) is { Success: true } match ? match.Groups[1].Value : null;

    [GeneratedRegex("\"forwardedFor\":\"([^\"]*)\"")]
    private static partial Regex EchoedForwardedForPattern();
}
