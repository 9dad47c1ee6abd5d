namespace Gateway.LoadTests.Cli;

/// <summary>
/// <c>command [name] --key value ...</c>: the command, its positional argument, and the options (a repeated option
/// keeps every value, comma-joined; a flag without a value is "true").
/// </summary>
public sealed class CommandLine
{
    private readonly Dictionary<string, string> _options;

    private CommandLine(string command, string? argument, Dictionary<string, string> options)
    {
        Command = command;
        Argument = argument;
        _options = options;
    }

    public string Command { get; }

    public string? Argument { get; }

    public IReadOnlyDictionary<string, string> Options => _options;

    public static CommandLine Parse(string[] args)
    {
        var positional = new List<string>();
        var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                positional.Add(args[i]);
                continue;
            }

            var key = args[i][2..];
            var value = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : "true";
            options[key] = options.TryGetValue(key, out var earlier) ? $"{earlier},{value}" : value;
        }

        return new CommandLine(positional.ElementAtOrDefault(0) ?? "help", positional.ElementAtOrDefault(1), options);
    }

    public string? Option(string key) => _options.GetValueOrDefault(key);

    /// <summary>The options minus the runner's own: what is left are scenario parameters.</summary>
    public IReadOnlyDictionary<string, string> Without(params string[] keys) =>
        _options.Where(o => !keys.Contains(o.Key, StringComparer.OrdinalIgnoreCase)).ToDictionary(o => o.Key, o => o.Value, StringComparer.OrdinalIgnoreCase);
}
