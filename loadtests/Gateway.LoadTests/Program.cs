using System.Globalization;
using Gateway.LoadTests;

// dotnet run -c Release --project loadtests/Gateway.LoadTests -- --target http://127.0.0.1:5000 --path /api/orders/1
//   [--token JWT] [--rate 200 | --concurrency 64] [--duration 10s] [--scenario steady] [--out loadtests/reports]
var options = args.Select((value, index) => (value, index)).Where(a => a.value.StartsWith("--", StringComparison.Ordinal))
    .ToDictionary(a => a.value[2..], a => a.index + 1 < args.Length ? args[a.index + 1] : string.Empty, StringComparer.OrdinalIgnoreCase);
string Option(string name, string fallback) => options.TryGetValue(name, out var value) ? value : fallback;

var target = new Uri(Option("target", "http://127.0.0.1:5000"));
var path = Option("path", "/api/orders/1");
var token = Option("token", string.Empty);
var duration = TimeSpan.FromSeconds(double.Parse(Option("duration", "10s").TrimEnd('s'), CultureInfo.InvariantCulture));
var shape = options.ContainsKey("concurrency")
    ? LoadShape.ClosedLoop(int.Parse(Option("concurrency", "64"), CultureInfo.InvariantCulture), duration)
    : LoadShape.OpenLoop(double.Parse(Option("rate", "200"), CultureInfo.InvariantCulture), duration);
var scenario = Option("scenario", "steady");

using var client = new HttpClient { BaseAddress = target, Timeout = TimeSpan.FromSeconds(30) };
var startedAt = DateTimeOffset.UtcNow;
var statistics = await LoadRunner.RunAsync(
    client,
    _ =>
    {
        var message = new HttpRequestMessage(HttpMethod.Get, path);
        if (token.Length > 0)
        {
            message.Headers.Authorization = new("Bearer", token);
        }

        return message;
    },
    shape,
    CancellationToken.None);
var report = MarkdownReport.Write(Option("out", Path.Combine("loadtests", "reports")), scenario, shape, statistics, startedAt);
Console.WriteLine(MarkdownReport.Render(scenario, shape, statistics, startedAt));
Console.WriteLine($"Report: {report}");
return statistics.Errors + statistics.OtherStatus > 0 ? 1 : 0;
