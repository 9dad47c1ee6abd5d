using Gateway.Hosting;
using Microsoft.Extensions.Primitives;

namespace Gateway.Limiting.Policies;

/// <summary>
/// Holds the current <see cref="RateLimitingSettings"/> and swaps in a new snapshot when the configuration
/// reloads. A reload that fails validation is logged and the previous snapshot keeps serving.
/// </summary>
public sealed partial class RateLimitingSettingsProvider : IDisposable
{
    private readonly IConfiguration _configuration;
    private readonly ILogger<RateLimitingSettingsProvider> _logger;
    private readonly IDisposable _reloadRegistration;
    private readonly Lock _reloadLock = new();
    private volatile RateLimitingSettings _current;
    private int _reloadAttempts;
    private volatile IChangeToken _readToken;

    public RateLimitingSettingsProvider(IConfiguration configuration, RateLimitingSettings initial, ILogger<RateLimitingSettingsProvider> logger)
    {
        _configuration = configuration;
        _current = initial;
        _readToken = configuration.GetReloadToken();
        _logger = logger;
        _reloadRegistration = ChangeToken.OnChange(configuration.GetReloadToken, () => Reload());
    }

    /// <summary>The snapshot in force. Read it once per request.</summary>
    public RateLimitingSettings Current => _current;

    /// <summary>Why the last reload was refused, or null when the last reload succeeded (or none happened).</summary>
    public string? LastReloadError { get; private set; }

    /// <summary>Counts reload attempts, accepted or refused, so callers can wait for one to be processed.</summary>
    public int ReloadAttempts => Volatile.Read(ref _reloadAttempts);

    /// <summary>
    /// Re-reads the configuration only if it changed since the last read: a caller that finds the snapshot behind
    /// (YARP saw a file edit first) catches up, while a configuration that stays inconsistent costs nothing per call.
    /// </summary>
    public bool ReloadIfChanged() => _readToken.HasChanged && Reload();

    /// <summary>Re-reads the configuration now; returns whether a new snapshot is in force.</summary>
    public bool Reload()
    {
        lock (_reloadLock)
        {
            _readToken = _configuration.GetReloadToken();
            RateLimitingSettings next;
            try
            {
                // Unchanged rule sets stay the same objects: leases and cached refusals taken under them stay valid.
                next = RateLimitingSettingsReader.Read(_configuration, RuleSetPool.From(_current));
            }
            catch (GatewayConfigurationException e)
            {
                Log.ReloadRejected(_logger, e.Message);
                LastReloadError = e.Message;
                Interlocked.Increment(ref _reloadAttempts);
                return false;
            }

            if (next.Store != _current.Store)
            {
                Log.StoreChangeIgnored(_logger);
            }

            _current = next;
            LastReloadError = null;
            Interlocked.Increment(ref _reloadAttempts);
            Log.Reloaded(_logger, next.Policies.Count, next.Overrides.Count);
            return true;
        }
    }

    public void Dispose() => _reloadRegistration.Dispose();

    private static partial class Log
    {
        [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Rate limiting configuration reloaded: {PolicyCount} policies, {OverrideCount} subjects with overrides.")]
        public static partial void Reloaded(ILogger logger, int policyCount, int overrideCount);

        [LoggerMessage(EventId = 1002, Level = LogLevel.Error, Message = "Rate limiting configuration reload rejected; the previous configuration keeps serving. {Problem}")]
        public static partial void ReloadRejected(ILogger logger, string problem);

        [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "RateLimiting:Store changed in a reload; the store is chosen at start-up, restart to apply it.")]
        public static partial void StoreChangeIgnored(ILogger logger);
    }
}
