using System.Security.Cryptography;
using System.Text;

namespace Gateway.Identity;

/// <summary>Turns a subject into a bounded, store-safe key part.</summary>
public static class SubjectKey
{
    /// <summary>Subjects longer than this are hashed: a key's size must not be the caller's choice.</summary>
    public const int MaxPlainLength = 128;

    public static string ForSubject(string subject) =>
        IsPlain(subject) ? "u:" + subject : "u#" + Hash(subject);

    public static string ForAddress(string partition) => "ip:" + partition;

    /// <summary>A short, stable, non-reversible form of a subject for logs (12 hex digits of SHA-256).</summary>
    public static string ForLog(string subjectKey) => Hash(subjectKey)[..12];

    private static bool IsPlain(string subject)
    {
        if (subject.Length > MaxPlainLength)
        {
            return false;
        }

        // Braces and control characters would interfere with Redis hash tags and with logs.
        foreach (var c in subject)
        {
            if (char.IsControl(c) || c is '{' or '}')
            {
                return false;
            }
        }

        return true;
    }

    private static string Hash(string value)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(value), hash);
        return Convert.ToHexStringLower(hash);
    }
}
