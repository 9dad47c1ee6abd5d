namespace Gateway.Limiting.Resilience;

/// <summary>The shared store could not answer in time (or its circuit is open): the policy's failure mode decides.</summary>
public class StoreUnavailableException : Exception
{
    public StoreUnavailableException()
        : base("The rate limit store is unavailable.")
    {
    }

    public StoreUnavailableException(string message)
        : base(message)
    {
    }

    public StoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
