using Microsoft.Extensions.Configuration;

namespace Gateway.Hosting;

/// <summary>Collects every problem of one configuration read, each prefixed with its full key path.</summary>
internal sealed class ConfigurationErrors
{
    private readonly List<KeyValuePair<string, string>> _errors = [];

    public bool Any => _errors.Count > 0;

    public int Count => _errors.Count;

    /// <summary>Every problem: the full key, and what is wrong with it.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Entries => _errors;

    public void Add(string key, string problem) => _errors.Add(new(key, problem));

    public void Add(IConfigurationSection section, string problem) => Add(section.Path, problem);

    public void ThrowIfAny()
    {
        if (_errors.Count > 0)
        {
            throw new GatewayConfigurationException(_errors.Select(static e => $"{e.Key}: {e.Value}").ToArray());
        }
    }
}
