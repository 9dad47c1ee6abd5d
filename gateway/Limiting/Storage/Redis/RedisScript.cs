using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace Gateway.Limiting.Storage.Redis;

/// <summary>
/// A Lua script embedded in the assembly, called by its SHA1 (EVALSHA) so only the digest crosses the wire; a node
/// that does not know it yet (a restart, a new Cluster node) answers NOSCRIPT and gets the body once (EVAL loads it),
/// though the breaker's probe and the reconnect handler load every script everywhere before that happens.
/// </summary>
internal sealed class RedisScript
{
    private RedisScript(string name, string body)
    {
        Name = name;
        Body = body;
        Sha1 = SHA1.HashData(Encoding.UTF8.GetBytes(body));
        Sha1Hex = Convert.ToHexStringLower(Sha1);
    }

    public string Name { get; }

    public string Body { get; }

    public byte[] Sha1 { get; }

    /// <summary>The digest as EVALSHA takes it.</summary>
    public string Sha1Hex { get; }

    /// <summary>The named script, after <c>shared.lua</c> (the clock, window and TTL helpers) unless <paramref name="withPrelude"/> is false.</summary>
    public static RedisScript Load(string name, bool withPrelude = true) => new(name, (withPrelude ? ReadResource("shared") : string.Empty) + ReadResource(name));

    private static string ReadResource(string name)
    {
        var resource = $"Gateway.Redis.{name}.lua";
        using var stream = typeof(RedisScript).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Embedded script {resource} is missing.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    /// <summary>Loads the script on <paramref name="server"/> unless it has it already, so calls there never meet NOSCRIPT.</summary>
    public async Task EnsureLoadedAsync(IServer server, CancellationToken cancellationToken)
    {
        if (!await server.ScriptExistsAsync(Sha1, CommandFlags.DemandMaster).WaitAsync(cancellationToken).ConfigureAwait(false))
        {
            await server.ScriptLoadAsync(Body, CommandFlags.DemandMaster).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// EVALSHA: the client's own task, with nothing between it and the caller, so it reads as completed the moment the
    /// reply is read (on the client's thread), however busy the thread pool is.
    /// </summary>
    public Task<RedisResult> EvaluateAsync(IDatabaseAsync database, RedisKey[] keys, RedisValue[] values, CommandFlags flags) =>
        database.ScriptEvaluateAsync(Sha1, keys, values, flags);

    /// <summary>EVAL with the whole body, after a node answered NOSCRIPT (a restart, a new Cluster node): it also loads the script there.</summary>
    public Task<RedisResult> EvaluateBodyAsync(IDatabaseAsync database, RedisKey[] keys, RedisValue[] values, CommandFlags flags) =>
        database.ScriptEvaluateAsync(Body, keys, values, flags);

    public static bool IsNoScript(Exception exception) =>
        exception is RedisServerException e && e.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal);
}
