using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.LoadTests.Scenarios;

namespace Gateway.LoadTests.Hosting;

/// <summary>
/// A redis-server of our own (a test's or a load run's), on a free loopback port in a temp dir, that may be killed
/// (SIGKILL, as kill -9) and started again on the same port. Stopped by its PID, never by name.
/// </summary>
public sealed class RedisProcess : IStoreFaults, IAsyncDisposable
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
        var redis = new RedisProcess(LoopbackPorts.Next());
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

        _process?.Dispose();
        _process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start");
        // Its log goes to the logfile; drain the pipes anyway so a chatty start can never block on a full one.
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
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

    /// <summary>
    /// Runs a command through a raw connection (CLIENT PAUSE, CLIENT KILL, INFO, ...) and returns the reply: a status,
    /// error or integer line as sent (<c>+OK</c>, <c>-ERR ...</c>, <c>:1</c>), a bulk string's content.
    /// </summary>
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
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var first = await reader.ReadLineAsync() ?? string.Empty;
        if (!first.StartsWith('$') || !int.TryParse(first.AsSpan(1), out var length) || length < 0)
        {
            return first;
        }

        var content = new char[length];
        var read = 0;
        while (read < length)
        {
            var n = await reader.ReadAsync(content.AsMemory(read));
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        return new string(content, 0, read);
    }

    /// <summary>Script calls (EVAL and EVALSHA) served so far: the gateway's rate-limit work, from INFO commandstats.</summary>
    public async Task<long> ScriptCallsAsync()
    {
        var info = await CommandAsync("INFO", "commandstats");
        long calls = 0;
        foreach (var line in info.Split('\n', StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith("cmdstat_evalsha:", StringComparison.Ordinal) || line.StartsWith("cmdstat_eval:", StringComparison.Ordinal))
            {
                var field = line[(line.IndexOf("calls=", StringComparison.Ordinal) + 6)..];
                calls += long.Parse(field[..field.IndexOf(',', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return calls;
    }

    string IStoreFaults.Description => "redis-server killed (SIGKILL)";

    Task IStoreFaults.BreakAsync(CancellationToken cancellationToken) => KillAsync();

    Task IStoreFaults.RestoreAsync(CancellationToken cancellationToken) => StartAsync();

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
        catch (Exception e) when (e is SocketException or IOException)
        {
            // Not listening yet, or reset while starting.
            return false;
        }
    }
}
