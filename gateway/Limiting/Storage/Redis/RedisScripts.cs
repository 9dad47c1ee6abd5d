namespace Gateway.Limiting.Storage.Redis;

/// <summary>Every script the gateway runs, loaded once from the assembly; the probe loads them all on every primary.</summary>
internal static class RedisScripts
{
    /// <summary>One decision, or one lease: every rule evaluated and consumed together.</summary>
    public static readonly RedisScript Acquire = RedisScript.Load("acquire");

    /// <summary>Unused leased permits, or a refund, going back.</summary>
    public static readonly RedisScript Release = RedisScript.Load("release");

    /// <summary>Permits admitted on local fallback, added to the counters of their windows.</summary>
    public static readonly RedisScript Reconcile = RedisScript.Load("reconcile");

    /// <summary>The breaker's probe: a script that writes.</summary>
    public static readonly RedisScript Probe = RedisScript.Load("probe", withPrelude: false);

    public static IReadOnlyList<RedisScript> All { get; } = [Acquire, Release, Reconcile, Probe];
}
