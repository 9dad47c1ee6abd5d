using Gateway.Limiting.Leasing;
using Gateway.Limiting.Storage;
using Gateway.Observability;
using Microsoft.Extensions.Logging;

namespace Gateway.Limiting.Resilience;

/// <summary>
/// Exact-mode calls that missed their deadline and answered later: the permits such a call took in Redis first pay for
/// the fallback admissions of its key and window (the ledger gives them up), and the rest go back to Redis. So a late
/// answer never counts twice (once in Redis, once in the ledger) and never strands permits nobody used. Lease refills
/// do the same inside the leasing store, keeping the rest as a lease. A stopping gateway waits (briefly) for the answers
/// still out, so their returns reach Redis before the connection closes.
/// </summary>
internal sealed partial class LateAnswers : IAsyncDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    private readonly FallbackLedger _ledger;
    private readonly ILeaseSource _store;
    private readonly ILogger<LateAnswers> _logger;
    private readonly PendingTasks _pending = new();

    public LateAnswers(FallbackLedger ledger, ILeaseSource store, ILogger<LateAnswers> logger)
    {
        _ledger = ledger;
        _store = store;
        _logger = logger;
    }

    /// <summary>
    /// Settles <paramref name="lateAnswer"/> of <paramref name="request"/> when it arrives. Call it after the request's own
    /// failure-mode decision was recorded, so that decision is among those it pays for.
    /// </summary>
    public void Settle(RateLimitRequest request, Task lateAnswer)
    {
        if (lateAnswer is not Task<LeaseGrant> grant)
        {
            return;
        }

        _pending.Track(SettleGrantAsync(request, grant));
    }

    /// <summary>Late answers still out when the gateway stops: their returns go out before the Redis connection closes.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _pending.WhenAll().WaitAsync(StopTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Log.StopTimedOut(_logger, _pending.Count, StopTimeout);
        }
    }

    private async Task SettleGrantAsync(RateLimitRequest request, Task<LeaseGrant> answer)
    {
        if (await StoreDeadlineExceededException.GrantWhenAnsweredAsync(answer).ConfigureAwait(false) is not { Granted: > 0 } grant)
        {
            return;
        }

        var absorbed = _ledger.Absorb(request.PartitionKey, request.Rules, grant.StoreTime, grant.Granted);
        var rest = grant.Granted - absorbed;
        if (rest == 0)
        {
            return;
        }

        GatewayMetrics.LatePermits.Add(rest, new KeyValuePair<string, object?>("use", "returned"));
        try
        {
            await _store.ReleaseAsync(new LeaseRelease(request.PartitionKey, request.Rules, rest, grant.StoreTime, LastLease: false), CancellationToken.None)
                .ConfigureAwait(false);
        }
        catch (StoreUnavailableException e)
        {
            Log.ReturnFailed(_logger, rest, e.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1413, Level = LogLevel.Debug, Message = "Could not give back {Permits} permits a late answer took for a request decided by its failure mode: {Reason}")]
        public static partial void ReturnFailed(ILogger logger, long permits, string reason);

        [LoggerMessage(EventId = 1420, Level = LogLevel.Warning, Message = "Stopping: {Count} late answers still out after {Timeout}; permits they took stay taken until their windows end.")]
        public static partial void StopTimedOut(ILogger logger, int count, TimeSpan timeout);
    }
}
