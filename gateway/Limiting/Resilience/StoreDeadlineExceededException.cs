using Gateway.Limiting.Leasing;

namespace Gateway.Limiting.Resilience;

/// <summary>
/// A store call missed its deadline but is still running: the request is decided by its policy's failure mode now,
/// and what the call did in the store, once it answers, is accounted for rather than lost (<see cref="LateAnswer"/>).
/// </summary>
internal sealed class StoreDeadlineExceededException : StoreUnavailableException
{
    public StoreDeadlineExceededException(string message, Exception innerException, Task lateAnswer)
        : base(message, innerException)
    {
        LateAnswer = lateAnswer;
    }

    /// <summary>
    /// The call: completes with its parsed reply once Redis answers (a <c>Task&lt;LeaseGrant&gt;</c> for the acquire
    /// script), or faults if it never does.
    /// </summary>
    public Task LateAnswer { get; }

    /// <summary>
    /// What an acquire call that missed its deadline granted once it answered; null if it never did (the connection
    /// dropped, the client gave up): whatever it may have taken in Redis then stays taken, stricter, never looser.
    /// </summary>
    public static async Task<LeaseGrant?> GrantWhenAnsweredAsync(Task<LeaseGrant> answer)
    {
        try
        {
            return await answer.ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return null;
        }
    }
}
