using Microsoft.Extensions.Configuration;

namespace Gateway.Hosting;

/// <summary>Collects every problem of one configuration read, each prefixed with its full key path.</summary>
internal sealed class ConfigurationErrors
{
    private readonly List<string> _errors = [];

    public bool Any => _errors.Count > 0;

    public int Count => _errors.Count;

    public void Add(string key, string problem) => _errors.Add($"{key}: {problem}");

    public void Add(IConfigurationSection section, string problem) => Add(section.Path, problem);

    public void ThrowIfAny()
    {
        if (_errors.Count > 0)
        {
            throw new GatewayConfigurationException(_errors.ToArray());
        }
    }
}
