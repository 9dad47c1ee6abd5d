namespace Gateway.Limiting.Policies;

/// <summary>Section <c>RateLimiting:Admin</c>: the claim a token needs for the admin API.</summary>
/// <param name="RoleClaim">The claim type holding roles (default <c>role</c>).</param>
/// <param name="Role">The value that grants admin access (default <c>admin</c>).</param>
public sealed record AdminSettings(string RoleClaim, string Role)
{
    public static AdminSettings Default { get; } = new("role", "admin");
}
