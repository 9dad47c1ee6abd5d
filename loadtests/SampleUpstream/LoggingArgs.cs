using Microsoft.Extensions.Logging;

namespace SampleUpstream;

internal static class LoggingArgs
{
    /// <summary>The upstream logs warnings only unless asked (<c>--verbose</c>): it is scenery, not the subject.</summary>
    public static void SetMinimumLevelFromArgs(this ILoggingBuilder logging, string[] args) =>
        logging.SetMinimumLevel(args.Contains("--verbose") ? LogLevel.Information : LogLevel.Warning);
}
