using System.Diagnostics;

namespace Gateway.LoadTests.Hosting;

/// <summary>
/// A .NET program the run starts (a gateway, the sample upstream), listening on a loopback URL. Its last output lines
/// are kept for the error message if it fails to start. Stopped by its PID.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private const int KeptLines = 40;
    private readonly Process _process;
    private readonly Queue<string> _output = new();

    private ChildProcess(string name, Uri address, Process process)
    {
        Name = name;
        Address = address;
        _process = process;
    }

    public string Name { get; }

    public Uri Address { get; }

    /// <summary>The last lines the process wrote (standard output and error).</summary>
    public string RecentOutput
    {
        get
        {
            lock (_output)
            {
                return string.Join(Environment.NewLine, _output);
            }
        }
    }

    /// <summary>Starts <c>dotnet <paramref name="assembly"/> --urls address ...</c> and waits until <paramref name="readyPath"/> answers 200.</summary>
    public static async Task<ChildProcess> StartAsync(string name, string assembly, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, string readyPath, CancellationToken cancellationToken)
    {
        if (!File.Exists(assembly))
        {
            throw new FileNotFoundException($"{name}: {assembly} is not built (dotnet build -c Release loadtests/Gateway.LoadTests).", assembly);
        }

        var address = new Uri($"http://127.0.0.1:{LoopbackPorts.Next()}");
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(assembly);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(address.ToString().TrimEnd('/'));
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"{name} did not start.");
        var child = new ChildProcess(name, address, process);
        process.OutputDataReceived += (_, e) => child.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => child.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await child.WaitUntilReadyAsync(readyPath, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await child.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return child;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }

        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Enqueue(line);
            if (_output.Count > KeptLines)
            {
                _output.Dequeue();
            }
        }
    }

    private async Task WaitUntilReadyAsync(string readyPath, CancellationToken cancellationToken)
    {
        using var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (_process.HasExited)
            {
                break;
            }

            try
            {
                using var response = await client.GetAsync(readyPath, cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Slow first answer; try again.
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }

        string output;
        lock (_output)
        {
            output = string.Join(Environment.NewLine, _output);
        }

        throw new InvalidOperationException($"{Name} ({Address}) did not become ready{(_process.HasExited ? $" (exited with {_process.ExitCode})" : string.Empty)}:{Environment.NewLine}{output}");
    }
}
