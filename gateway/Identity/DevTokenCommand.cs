using System.Security.Claims;
using Gateway.Hosting;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Gateway.Identity;

/// <summary>
/// <c>gateway token --sub alice --tier pro [--ttl 1h] [--role admin]</c>: mints a token signed with the first
/// symmetric key of <c>Authentication:Schemes:Bearer:SigningKeys</c> (the development key in
/// <c>appsettings.Development.json</c>), for the first valid issuer and audience. For trying the gateway, not
/// for production: real tokens come from your identity provider.
/// </summary>
public static class DevTokenCommand
{
    public const string Name = "token";

    public static bool IsInvoked(string[] args) => args.Length > 0 && args[0] == Name;

    public static int Run(string[] args)
    {
        string? subject = null, tier = null;
        var lifetime = TimeSpan.FromHours(8);
        var roles = new List<string>();
        var hostArgs = new List<string>();
        for (var i = 1; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--sub": subject = Next(); break;
                case "--tier": tier = Next(); break;
                case "--role": roles.Add(Next()); break;
                case "--ttl":
                    var text = Next();
                    if (!Limiting.Policies.DurationFormat.TryParse(text, out lifetime))
                    {
                        return Fail($"--ttl: not a duration: '{text}'");
                    }

                    break;
                default: hostArgs.Add(args[i]); break;
            }
        }

        if (string.IsNullOrWhiteSpace(subject))
        {
            return Fail("usage: token --sub <subject> [--tier <tier>] [--role <role>] [--ttl 8h]");
        }

        JwtBearerSettings jwt;
        try
        {
            var builder = WebApplication.CreateBuilder(hostArgs.ToArray());
            builder.Configuration.AddGatewayAppSettings(builder.Environment);
            jwt = JwtBearerSettingsReader.Read(builder.Configuration);
        }
        catch (GatewayConfigurationException e)
        {
            return Fail(e.Message);
        }

        var signing = jwt.SigningKeys.FirstOrDefault(k => k.Key is SymmetricSecurityKey);
        if (signing is null || jwt.ValidIssuers.Count == 0 || jwt.ValidAudiences.Count == 0)
        {
            return Fail($"No symmetric key, issuer and audience under {JwtBearerSettings.SectionName}; run with ASPNETCORE_ENVIRONMENT=Development to use the development key.");
        }

        var claims = new List<Claim> { new("sub", subject) };
        if (!string.IsNullOrWhiteSpace(tier))
        {
            claims.Add(new Claim("tier", tier));
        }

        claims.AddRange(roles.Select(role => new Claim("role", role)));
        var now = DateTime.UtcNow;
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = signing.Issuer ?? jwt.ValidIssuers[0],
            Audience = jwt.ValidAudiences[0],
            Subject = new ClaimsIdentity(claims),
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            SigningCredentials = new SigningCredentials(signing.Key, SecurityAlgorithms.HmacSha256),
        });
        Console.Out.WriteLine(token);
        return 0;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine(message);
        return 2;
    }
}
