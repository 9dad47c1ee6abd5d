using System.Security.Claims;

namespace Gateway.Identity;

/// <summary>Reads subject and tier from the validated token, or the client address for anonymous callers.</summary>
public static class CallerIdentityResolver
{
    /// <summary>
    /// Resolves the caller. Returns false for an authenticated token that lacks the subject claim: such a token
    /// cannot be limited per user, and limiting it by address would mix it with strangers.
    /// </summary>
    public static bool TryResolve(HttpContext context, IdentitySettings settings, out CallerIdentity identity)
    {
        var user = context.User;
        if (user.Identity?.IsAuthenticated == true)
        {
            var subject = FirstValue(user, settings.SubjectClaim);
            if (subject is null)
            {
                identity = default;
                return false;
            }

            var tier = FirstValue(user, settings.TierClaim) ?? settings.DefaultTier;
            identity = new CallerIdentity(subject, SubjectKey.ForSubject(subject), tier);
            return true;
        }

        var address = ClientAddress.Partition(context.Connection.RemoteIpAddress);
        identity = new CallerIdentity(null, SubjectKey.ForAddress(address), settings.AnonymousTier);
        return true;
    }

    private static string? FirstValue(ClaimsPrincipal user, string claimType)
    {
        var value = user.FindFirst(claimType)?.Value;
        return string.IsNullOrWhiteSpace(value) ? null : value;
    }
}
