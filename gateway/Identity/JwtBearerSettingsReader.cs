using System.Security.Cryptography;
using Gateway.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.IdentityModel.Tokens;
using static Gateway.Hosting.ConfigurationValues;

namespace Gateway.Identity;

/// <summary>Reads <c>Authentication:Schemes:Bearer</c> strictly, naming the key of any problem.</summary>
public static class JwtBearerSettingsReader
{
    /// <summary>HMAC keys shorter than the hash are guessable; RFC 7518 section 3.2 requires at least 256 bits for HS256.</summary>
    private const int MinSymmetricKeyBytes = 32;

    public static JwtBearerSettings Read(IConfiguration configuration)
    {
        var errors = new ConfigurationErrors();
        var section = configuration.GetSection(JwtBearerSettings.SectionName);

        var issuers = ReadList(section, "ValidIssuer", "ValidIssuers");
        var audiences = ReadList(section, "ValidAudience", "ValidAudiences");
        var authority = section["Authority"];

        var keys = new List<IssuerKey>();
        foreach (var keySection in section.GetSection("SigningKeys").GetChildren())
        {
            var value = keySection["Value"];
            byte[]? bytes = null;
            if (string.IsNullOrWhiteSpace(value))
            {
                errors.Add(Combine(keySection.Path, "Value"), "is required (a base64-encoded symmetric key)");
            }
            else
            {
                try
                {
                    bytes = Convert.FromBase64String(value);
                }
                catch (FormatException)
                {
                    errors.Add(Combine(keySection.Path, "Value"), "is not valid base64");
                }
            }

            if (bytes is not null && bytes.Length < MinSymmetricKeyBytes)
            {
                errors.Add(Combine(keySection.Path, "Value"), $"is {bytes.Length * 8} bits; HMAC keys need at least {MinSymmetricKeyBytes * 8}");
                bytes = null;
            }

            if (bytes is not null)
            {
                var key = new SymmetricSecurityKey(bytes) { KeyId = keySection["Id"] };
                keys.Add(new IssuerKey(key, keySection["Issuer"]));
            }
        }

        foreach (var pemSection in section.GetSection("PublicKeys").GetChildren())
        {
            var key = ReadPublicKey(pemSection, errors);
            if (key is not null)
            {
                keys.Add(new IssuerKey(key, null));
            }
        }

        if (keys.Count > 0 || authority is not null)
        {
            if (issuers.Count == 0)
            {
                errors.Add(Combine(section.Path, "ValidIssuer"), "is required: tokens are validated strictly, issuer included");
            }

            if (audiences.Count == 0)
            {
                errors.Add(Combine(section.Path, "ValidAudiences"), "is required: tokens are validated strictly, audience included");
            }
        }

        var algorithms = ReadList(section, "ValidAlgorithm", "ValidAlgorithms");
        if (algorithms.Count == 0)
        {
            algorithms = DefaultAlgorithms(keys, authority is not null);
        }

        foreach (var algorithm in algorithms.Where(a => a.Equals("none", StringComparison.OrdinalIgnoreCase)))
        {
            errors.Add(Combine(section.Path, "ValidAlgorithms"), "must not contain 'none': unsigned tokens are never accepted");
        }

        var skew = ReadDuration(section, "ClockSkew", TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(5), errors);
        var maxBytes = ReadPositiveLong(section, "MaxTokenBytes", 8192, errors);
        errors.ThrowIfAny();

        return new JwtBearerSettings(issuers, audiences, keys, algorithms, skew, (int)Math.Min(maxBytes, 1 << 20), authority);
    }

    private static List<string> ReadList(IConfigurationSection section, string singleKey, string listKey)
    {
        var values = section.GetSection(listKey).GetChildren()
            .Select(c => c.Value)
            .Where(v => !string.IsNullOrWhiteSpace(v))
            .Select(v => v!.Trim())
            .ToList();
        var single = section[singleKey];
        if (!string.IsNullOrWhiteSpace(single) && !values.Contains(single.Trim(), StringComparer.Ordinal))
        {
            values.Add(single.Trim());
        }

        return values;
    }

    private static SecurityKey? ReadPublicKey(IConfigurationSection pemSection, ConfigurationErrors errors)
    {
        var pem = pemSection.Value;
        if (string.IsNullOrWhiteSpace(pem))
        {
            errors.Add(pemSection, "must be a PEM public key (-----BEGIN PUBLIC KEY-----)");
            return null;
        }

        // Try RSA then EC; the PEM label does not say which.
        try
        {
            var rsa = RSA.Create();
            rsa.ImportFromPem(pem);
            return new RsaSecurityKey(rsa);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
        }

        try
        {
            var ec = ECDsa.Create();
            ec.ImportFromPem(pem);
            return new ECDsaSecurityKey(ec);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            errors.Add(pemSection, "is not an RSA or EC public key in PEM form");
            return null;
        }
    }

    /// <summary>Pins each key type to its usual algorithm, so a token can never pick the verification method.</summary>
    private static List<string> DefaultAlgorithms(List<IssuerKey> keys, bool hasAuthority)
    {
        var algorithms = new List<string>();
        if (keys.Any(k => k.Key is SymmetricSecurityKey))
        {
            algorithms.Add(SecurityAlgorithms.HmacSha256);
        }

        if (hasAuthority || keys.Any(k => k.Key is RsaSecurityKey))
        {
            algorithms.Add(SecurityAlgorithms.RsaSha256);
        }

        if (keys.Any(k => k.Key is ECDsaSecurityKey))
        {
            algorithms.Add(SecurityAlgorithms.EcdsaSha256);
        }

        return algorithms;
    }
}
