using System.Text.Json.Serialization;

namespace SampleUpstream;

public sealed record Stats(long Requests, IReadOnlyDictionary<string, long> ByPath);

public sealed record Echo(string Service, string Method, string Path, string ForwardedFor);

[JsonSerializable(typeof(Stats))]
[JsonSerializable(typeof(Echo))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class StatsJsonContext : JsonSerializerContext;
