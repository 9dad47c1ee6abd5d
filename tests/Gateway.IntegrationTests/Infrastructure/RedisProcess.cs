using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gateway.IntegrationTests.Infrastructure;

/// <summary>
/// A redis-server of a test's own, on a free loopback port in a temp dir, that the test may kill (SIGKILL, as
/// kill -9) and start again on the same port. Stopped by its PID, never by name.
/// </summary>
public sealed class RedisProcess : IAsyncDisposable
{
    private readonly string _directory;
    private Process? _process;

    private RedisProcess(int port)
    {
        Port = port;
        _directory = Directory.CreateTempSubdirectory("gateway-redis-fault-").FullName;
    }

    public int Port { get; }

    public string Address => $"127.0.0.1:{Port}";

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Picks a free port and, unless <paramref name="start"/> is false, starts Redis on it.</summary>
    public static async Task<RedisProcess> CreateAsync(bool start = true)
    {
        var redis = new RedisProcess(FreePort());
        if (start)
        {
            await redis.StartAsync();
        }

        return redis;
    }

    public async Task StartAsync()
    {
        var info = new ProcessStartInfo("redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
                     "--dir", _directory, "--save", "", "--appendonly", "no", "--logfile", Path.Combine(_directory, "redis.log") })
        {
            info.ArgumentList.Add(argument);
        }

        _process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited: {await File.ReadAllTextAsync(Path.Combine(_directory, "redis.log"))}");
            }

            if (await PingAsync())
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new InvalidOperationException($"redis-server on port {Port} did not answer");
    }

    /// <summary>SIGKILL: no shutdown, no save, connections dropped mid-flight.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    /// <summary>Runs a command through a raw connection (CLIENT PAUSE, CLIENT KILL, ...) and returns the first reply line.</summary>
    public async Task<string> CommandAsync(params string[] arguments)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Port);
        var stream = client.GetStream();
        var command = new StringBuilder().Append('*').Append(arguments.Length).Append("\r\n");
        foreach (var argument in arguments)
        {
            command.Append('$').Append(Encoding.UTF8.GetByteCount(argument)).Append("\r\n").Append(argument).Append("\r\n");
        }

        await stream.WriteAsync(Encoding.UTF8.GetBytes(command.ToString()));
        var buffer = new byte[4096];
        var read = await stream.ReadAsync(buffer);
        return Encoding.UTF8.GetString(buffer, 0, read).TrimEnd();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS to clean.
        }
    }

    private async Task<bool> PingAsync()
    {
        try
        {
            return (await CommandAsync("PING")).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>A free port below the ephemeral range, where no outgoing connection can take it meanwhile.</summary>
    private static int FreePort()
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

        throw new InvalidOperationException("no free port");
    }
}
