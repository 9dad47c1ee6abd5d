using System.Globalization;
using System.Text.Json;

namespace Gateway.LoadTests.Scenarios;

/// <summary>
/// A scenario's parameters: defaults in the scenario, overridden by a JSON file (<c>--config file.json</c>, a flat
/// object) and then by the command line (<c>--rate 800</c>). Every value read is remembered, so the report states
/// exactly what ran. A value that does not parse stops the run naming the parameter.
/// </summary>
public sealed class ScenarioParameters
{
    private readonly Dictionary<string, string> _values;
    private readonly SortedDictionary<string, string> _used = new(StringComparer.OrdinalIgnoreCase);

    public ScenarioParameters(IReadOnlyDictionary<string, string>? values = null) =>
        _values = new Dictionary<string, string>(values ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase);

    /// <summary>The parameters read so far, with the values used (defaults included).</summary>
    public IReadOnlyDictionary<string, string> Used => _used;

    public static ScenarioParameters FromJsonFile(string path, IReadOnlyDictionary<string, string> commandLine)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        using var document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        foreach (var property in document.RootElement.EnumerateObject())
        {
            values[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
        }

        foreach (var (key, value) in commandLine)
        {
            values[key] = value;
        }

        return new ScenarioParameters(values);
    }

    /// <summary>
    /// Refuses parameters given but never read: a misspelt name (<c>--ramp</c> for <c>--rampTo</c>) would otherwise run
    /// the default without a word. Scenarios read every parameter before their first step, which calls this.
    /// </summary>
    public void ThrowIfAnyUnknown()
    {
        var unknown = _values.Keys.Where(k => !_used.ContainsKey(k)).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException($"Unknown parameter(s) {string.Join(", ", unknown.Select(k => $"'{k}'"))}; this scenario reads {string.Join(", ", _used.Keys)}.");
        }
    }

    public int Int(string name, int fallback) => Read(name, fallback, (string s, out int v) => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out v));

    public double Double(string name, double fallback) => Read(name, fallback, (string s, out double v) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out v));

    /// <summary>A duration: <c>20</c>, <c>20s</c>, <c>500ms</c> or <c>2m</c>.</summary>
    public TimeSpan Duration(string name, TimeSpan fallback) => Read(name, fallback, TryParseDuration);

    public string Text(string name, string fallback) => Read(name, fallback, (string s, out string v) =>
    {
        v = s;
        return true;
    });

    /// <summary>Reads <c>20</c>, <c>20s</c>, <c>500ms</c> or <c>2m</c>.</summary>
    public static bool TryParseDuration(string text, out TimeSpan value)
    {
        text = text.Trim();
        var (number, scale) = text.EndsWith("ms", StringComparison.OrdinalIgnoreCase) ? (text[..^2], 0.001)
            : text.EndsWith('s') ? (text[..^1], 1.0)
            : text.EndsWith('m') ? (text[..^1], 60.0)
            : (text, 1.0);
        var ok = double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) && amount > 0;
        value = ok ? TimeSpan.FromSeconds(amount * scale) : default;
        return ok;
    }

    private T Read<T>(string name, T fallback, TryParse<T> parse)
        where T : notnull
    {
        var value = fallback;
        if (_values.TryGetValue(name, out var text) && !parse(text, out value))
        {
            throw new ArgumentException($"Parameter '{name}': cannot read '{text}' as {typeof(T).Name}.");
        }

        _used[name] = value is TimeSpan span ? $"{span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)}s" : Convert.ToString(value, CultureInfo.InvariantCulture)!;
        return value;
    }

    private delegate bool TryParse<T>(string text, out T value);
}
