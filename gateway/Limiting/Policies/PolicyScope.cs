namespace Gateway.Limiting.Policies;

/// <summary>Whose budget a policy counts against.</summary>
public enum PolicyScope
{
    /// <summary>Each subject (user, or client address when anonymous) has its own budget.</summary>
    Subject,

    /// <summary>One budget shared by every caller of the policy, to protect a backend.</summary>
    Global,
}
