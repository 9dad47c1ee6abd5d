using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace Gateway.Limiting.Storage.Redis;

/// <summary>
/// A Lua script embedded in the assembly, called by its SHA1 (EVALSHA) so only the digest crosses the wire; a node
/// that does not know it yet (a restart, a new Cluster node) answers NOSCRIPT and gets the body once (EVAL loads it).
/// </summary>
internal sealed class RedisScript
{
    private RedisScript(string name, string body)
    {
        Name = name;
        Body = body;
        Sha1 = SHA1.HashData(Encoding.UTF8.GetBytes(body));
    }

    public string Name { get; }

    public string Body { get; }

    public byte[] Sha1 { get; }

    /// <summary>The named script, after <c>shared.lua</c> (the clock, window and TTL helpers every script uses).</summary>
    public static RedisScript Load(string name) => new(name, ReadResource("shared") + ReadResource(name));

    private static string ReadResource(string name)
    {
        var resource = $"Gateway.Redis.{name}.lua";
        using var stream = typeof(RedisScript).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Embedded script {resource} is missing.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    public async Task<RedisResult> EvaluateAsync(IDatabaseAsync database, RedisKey[] keys, RedisValue[] values, CommandFlags flags)
    {
        try
        {
            return await database.ScriptEvaluateAsync(Sha1, keys, values, flags).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            return await database.ScriptEvaluateAsync(Body, keys, values, flags).ConfigureAwait(false);
        }
    }
}
