namespace Gateway.Limiting.Policies;

/// <summary>What a limited route does with a caller that presents no token.</summary>
public enum AnonymousAccess
{
    /// <summary>Limit the caller by client address (IPv4 address, or IPv6 /64 prefix).</summary>
    Ip,

    /// <summary>Refuse the caller with 401.</summary>
    Reject,
}
