using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.LoadTests.Hosting;

namespace Gateway.IntegrationTests.ColdStart;

/// <summary>
/// Fresh gateway processes (the built <c>Gateway.dll</c>, each its own runtime and JIT), started together against one
/// configuration written to a temp folder, each ready once its <c>/readyz</c> answers 200. An instance may run with
/// its wall clock shifted by libfaketime (installed by test.sh), as a badly synchronised host's would be. Stopped by
/// PID on dispose.
/// </summary>
internal sealed class GatewayProcessFleet : IAsyncDisposable
{
    private const string FakeTimeLibrary = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

    private readonly string _directory;

    private GatewayProcessFleet(string directory, IReadOnlyList<ChildProcess> instances)
    {
        _directory = directory;
        Instances = instances;
    }

    public IReadOnlyList<ChildProcess> Instances { get; }

    /// <summary>Starts one process per entry of <paramref name="clockShifts"/>, all at once; returns when every one is ready.</summary>
    public static async Task<GatewayProcessFleet> StartAsync(JsonObject config, params TimeSpan[] clockShifts)
    {
        if (clockShifts.Any(s => s != TimeSpan.Zero) && !File.Exists(FakeTimeLibrary))
        {
            throw new InvalidOperationException($"{FakeTimeLibrary} is missing: install it with apt-get install -y faketime (test.sh does).");
        }

        var directory = Directory.CreateTempSubdirectory("gateway-cold-").FullName;
        await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), config.ToJsonString());
        var starting = clockShifts.Select((shift, i) => ChildProcess.StartAsync(
            $"gateway-{i}",
            RepositoryLayout.GatewayAssembly,
            [$"--Gateway:AppSettingsDirectory={directory}"],
            Environment(shift),
            "/readyz",
            CancellationToken.None)).ToList();
        try
        {
            return new GatewayProcessFleet(directory, await Task.WhenAll(starting));
        }
        catch
        {
            foreach (var started in starting.Where(t => t.IsCompletedSuccessfully))
            {
                await started.Result.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>The store's part of <c>/readyz</c>.</summary>
    public static async Task<JsonElement> ReadinessAsync(ChildProcess instance)
    {
        using var client = new HttpClient { BaseAddress = instance.Address };
        using var response = await client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.GetProperty("store").Clone();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var instance in Instances)
        {
            await instance.DisposeAsync();
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Cleaned by the OS later.
        }
    }

    private static Dictionary<string, string> Environment(TimeSpan shift)
    {
        var environment = new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Testing" };
        if (shift != TimeSpan.Zero)
        {
            environment["LD_PRELOAD"] = FakeTimeLibrary;
            environment["FAKETIME"] = $"{(shift < TimeSpan.Zero ? "-" : "+")}{(long)Math.Abs(shift.TotalSeconds)}s";
            // Only the wall clock is wrong on such a host; durations (leases, deadlines) still run true. Without the
            // second setting libfaketime rewrites the runtime's timed waits and StackExchange.Redis fails its writes.
            environment["FAKETIME_DONT_FAKE_MONOTONIC"] = "1";
            environment["FAKETIME_FORCE_MONOTONIC_FIX"] = "0";
        }

        return environment;
    }
}
