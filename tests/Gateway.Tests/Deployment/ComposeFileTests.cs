using System.Text.RegularExpressions;
using Gateway.Health;
using YamlDotNet.RepresentationModel;

namespace Gateway.Tests.Deployment;

/// <summary>
/// No Docker engine runs where the suite runs, so the deployment files are checked by parsing them: the compose file
/// is valid YAML with the services the README promises, and every build target, file, volume path, port and
/// service name it (and the nginx, Prometheus and Dockerfile it uses) refers to exists.
/// </summary>
public sealed partial class ComposeFileTests
{
    private static readonly string Root = FindRepositoryRoot();

    [Fact]
    public void Compose_HasTheServicesTheReadmePromises()
    {
        var services = Services();

        Assert.Equal(["gateway1", "gateway2", "gateway3", "lb", "prometheus", "redis", "upstream"], services.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Compose_EveryBuildTargetAndVolumePathExists_AndHostPortsAreUnique()
    {
        var dockerfileStages = StageLine().Matches(File.ReadAllText(Path.Combine(Root, "Dockerfile"))).Select(m => m.Groups["stage"].Value).ToHashSet();
        var hostPorts = new List<string>();
        foreach (var (name, service) in Services())
        {
            if (Child(service, "build") is YamlMappingNode build)
            {
                var context = Path.Combine(Root, Scalar(build, "context"));
                Assert.True(Directory.Exists(context), $"{name}: build context {context} is missing");
                Assert.True(File.Exists(Path.Combine(context, Scalar(build, "dockerfile"))), $"{name}: Dockerfile is missing");
                Assert.Contains(Scalar(build, "target"), dockerfileStages);
            }
            else
            {
                Assert.False(string.IsNullOrEmpty(Scalar(service, "image")), $"{name} has neither build nor image");
            }

            foreach (var volume in Sequence(service, "volumes"))
            {
                var hostPath = volume.Split(':')[0];
                Assert.True(hostPath.StartsWith("./", StringComparison.Ordinal), $"{name}: volume {volume} is not a repository path");
                var full = Path.Combine(Root, hostPath[2..]);
                Assert.True(File.Exists(full) || Directory.Exists(full), $"{name}: {full} is missing");
            }

            hostPorts.AddRange(Sequence(service, "ports").Select(static p => p.Split(':')[0]));
        }

        Assert.Equal(hostPorts.Count, hostPorts.Distinct().Count());
    }

    [Fact]
    public void Compose_EveryServiceNamedInConfigExists()
    {
        var services = Services();
        var nginx = File.ReadAllText(Path.Combine(Root, "appsettings/compose/nginx.conf"));
        var prometheus = File.ReadAllText(Path.Combine(Root, "appsettings/compose/prometheus.yml"));
        var named = NginxServer().Matches(nginx).Select(m => m.Groups["host"].Value)
            .Concat(PrometheusTarget().Matches(prometheus).Select(m => m.Groups["host"].Value))
            .ToList();
        var environment = (YamlMappingNode)Child(services["gateway1"], "environment")!;
        named.Add(new Uri(Scalar(environment, "ReverseProxy__Clusters__backend__Destinations__d1__Address")).Host);
        named.Add(Scalar(environment, "RateLimiting__Store__Redis__Configuration").Split(':')[0]);

        Assert.Equal(6, named.Count(n => n.StartsWith("gateway", StringComparison.Ordinal)));
        Assert.All(named, host => Assert.True(services.ContainsKey(host), $"{host} is not a service"));
    }

    [Fact]
    public void Dockerfile_CopiesOnlyWhatExists_RunsTheBuiltAssemblies_AndChecksHealthWithTheGatewayItself()
    {
        var dockerfile = File.ReadAllText(Path.Combine(Root, "Dockerfile"));

        foreach (Match copy in CopyLine().Matches(dockerfile))
        {
            var sources = copy.Groups["args"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)[..^1];
            Assert.All(sources, source => Assert.True(File.Exists(Path.Combine(Root, source)) || Directory.Exists(Path.Combine(Root, source)), $"COPY {source}: missing"));
        }

        Assert.Contains("\"Gateway.dll\"", dockerfile, StringComparison.Ordinal);
        Assert.Contains("\"SampleUpstream.dll\"", dockerfile, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(Root, "gateway/Gateway.csproj")));
        Assert.True(File.Exists(Path.Combine(Root, "loadtests/SampleUpstream/SampleUpstream.csproj")));
        Assert.Contains($"\"{HealthProbeCommand.Name}\", \"http://127.0.0.1:8080{HealthEndpoints.LivenessPath}\"", dockerfile, StringComparison.Ordinal);
        Assert.Contains("USER app", dockerfile, StringComparison.Ordinal);
        Assert.Contains("EXPOSE 8080", dockerfile, StringComparison.Ordinal);
    }

    private static Dictionary<string, YamlMappingNode> Services()
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(Root, "docker-compose.yml")))
        {
            yaml.Load(reader);
        }

        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        return ((YamlMappingNode)root.Children[new YamlScalarNode("services")]).Children
            .ToDictionary(static e => ((YamlScalarNode)e.Key).Value!, static e => (YamlMappingNode)e.Value, StringComparer.Ordinal);
    }

    private static YamlNode? Child(YamlMappingNode node, string key) => node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;

    private static string Scalar(YamlMappingNode node, string key) => (Child(node, key) as YamlScalarNode)?.Value ?? string.Empty;

    private static IEnumerable<string> Sequence(YamlMappingNode node, string key) =>
        Child(node, key) is YamlSequenceNode sequence ? sequence.Children.Select(static c => ((YamlScalarNode)c).Value!) : [];

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Gateway.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Gateway.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"^FROM \S+ AS (?<stage>\S+)", RegexOptions.Multiline)]
    private static partial Regex StageLine();

    [GeneratedRegex(@"^COPY (?!--from)(?<args>.+)$", RegexOptions.Multiline)]
    private static partial Regex CopyLine();

    [GeneratedRegex(@"server (?<host>[a-z0-9-]+):\d+;")]
    private static partial Regex NginxServer();

    [GeneratedRegex(@"""(?<host>[a-z0-9-]+):\d+""")]
    private static partial Regex PrometheusTarget();
}
