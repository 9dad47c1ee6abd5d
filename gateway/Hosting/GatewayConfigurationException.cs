namespace Gateway.Hosting;

/// <summary>A configuration the gateway refuses to run with; the message names every bad key.</summary>
public sealed class GatewayConfigurationException : Exception
{
    public GatewayConfigurationException(IReadOnlyList<string> errors)
        : base(FormatMessage(errors))
    {
        Errors = errors;
    }

    public GatewayConfigurationException()
        : this(["(no detail)"])
    {
    }

    public GatewayConfigurationException(string message)
        : this([message])
    {
    }

    public GatewayConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [message];
    }

    public IReadOnlyList<string> Errors { get; }

    private static string FormatMessage(IReadOnlyList<string> errors) => errors.Count == 1
        ? $"Invalid configuration: {errors[0]}"
        : $"Invalid configuration ({errors.Count} errors):{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", errors);
}
