using Gateway.Limiting.Leasing;
using Gateway.Limiting.Storage;
using Gateway.Observability;
using Microsoft.Extensions.Logging;

namespace Gateway.Limiting.Resilience;

/// <summary>
/// Exact-mode calls that missed their deadline and answered later: the permits such a call took in Redis first pay for
/// the fallback admissions of its key and window (the ledger gives them up), and the rest go back to Redis. So a late
/// answer never counts twice (once in Redis, once in the ledger) and never strands permits nobody used. Lease refills
/// do the same inside the leasing store, keeping the rest as a lease.
/// </summary>
internal sealed partial class LateAnswers
{
    private readonly FallbackLedger _ledger;
    private readonly ILeaseSource _store;
    private readonly ILogger<LateAnswers> _logger;

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
    public Task SettleAsync(RateLimitRequest request, Task lateAnswer) =>
        lateAnswer is Task<LeaseGrant> grant ? SettleGrantAsync(request, grant) : Task.CompletedTask;

    private async Task SettleGrantAsync(RateLimitRequest request, Task<LeaseGrant> answer)
    {
        if (await StoreDeadlineExceededException.GrantWhenAnsweredAsync(answer).ConfigureAwait(false) is not { Granted: > 0 } grant)
        {
            return;
        }

        var absorbed = _ledger.Absorb(request.PartitionKey, request.Rules, grant.StoreTime, grant.Granted);
        GatewayMetrics.LatePermits.Add(absorbed, new KeyValuePair<string, object?>("use", "absorbed"));
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
    }
}
