using System.Diagnostics;
using Gateway.Identity;
using Gateway.Limiting.Overrides;
using Gateway.Limiting.Policies;
using Gateway.Limiting.Storage;
using Gateway.Observability;
using Gateway.Proxy;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Gateway.Limiting;

/// <summary>
/// Decides, inside YARP's pipeline, whether a request on a limited route may go on to its backend. Every response
/// of a limited route carries the RateLimit fields; a refusal is a 429 with <c>Retry-After</c>. The limiter
/// itself never answers 500: a store that cannot decide yields a 503 with a retry hint.
/// </summary>
internal sealed partial class RateLimitMiddleware
{
    private readonly RequestDelegate _next;
    private readonly RateLimitingSettingsProvider _settings;
    private readonly IRateLimitStore _store;
    private readonly OverrideRegistry _overrides;
    private readonly ILogger<RateLimitMiddleware> _logger;

    public RateLimitMiddleware(
        RequestDelegate next,
        RateLimitingSettingsProvider settings,
        IRateLimitStore store,
        OverrideRegistry overrides,
        ILogger<RateLimitMiddleware> logger)
    {
        _overrides = overrides;
        _next = next;
        _settings = settings;
        _store = store;
        _logger = logger;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        var binding = RouteRateLimitBinding.For(context.GetReverseProxyFeature().Route.Config);
        if (binding.PolicyName is null)
        {
            await _next(context);
            return;
        }

        var settings = _settings.Current;
        if (!settings.Policies.TryGetValue(binding.PolicyName, out var policy))
        {
            // YARP took a route edit before the policy snapshot caught up: re-read, if the configuration changed since.
            _settings.ReloadIfChanged();
            settings = _settings.Current;
            if (!settings.Policies.TryGetValue(binding.PolicyName, out policy))
            {
                Log.UnknownPolicy(_logger, binding.PolicyName, context.GetReverseProxyFeature().Route.Config.RouteId);
                await RateLimitProblem.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "Service Unavailable", "The route's rate limit policy is not configured.");
                return;
            }
        }

        if (!CallerIdentityResolver.TryResolve(context, settings.Identity, out var caller))
        {
            await context.ChallengeAsync(JwtBearerDefaults.AuthenticationScheme, ChallengeProperties($"The token has no '{settings.Identity.SubjectClaim}' claim."));
            return;
        }

        if (caller.IsAnonymous && policy.Anonymous == AnonymousAccess.Reject)
        {
            await context.ChallengeAsync(JwtBearerDefaults.AuthenticationScheme);
            return;
        }

        var rules = _overrides.Resolve(settings, policy, caller.Subject, caller.Tier);
        var partitionKey = policy.PartitionKey(caller.SubjectKey);

        var request = new RateLimitRequest(partitionKey, rules, binding.Cost, Exact: !policy.Leases, FailureMode: policy.FailureMode);
        var admittedAt = Stopwatch.GetTimestamp();
        RateLimitDecision decision;
        try
        {
            decision = await _store.AcquireAsync(request, context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e)
        {
            Log.StoreFailed(_logger, e, policy.Name);
            context.Response.Headers.RetryAfter = "1";
            await RateLimitProblem.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "Service Unavailable", "The rate limiter could not decide; retry shortly.");
            return;
        }

        GatewayMetrics.Decisions.Add(1, new("policy", policy.Name), new("source", rules.Source), new("outcome", Outcome(decision, policy.DryRun)));
        if (decision.Basis == DecisionBasis.FailOpen)
        {
            // No decision was made: nothing true to say in RateLimit fields.
            await _next(context);
            return;
        }

        if (decision.Basis == DecisionBasis.Unavailable)
        {
            context.Response.Headers.RetryAfter = "1";
            await RateLimitProblem.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "Service Unavailable", "The rate limiter cannot decide right now (failure mode FailClosed); retry shortly.");
            return;
        }

        if (decision.Allowed)
        {
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                Log.Admitted(_logger, policy.Name, decision.DecidingRule.Name, caller.Tier, SubjectKey.ForLog(caller.SubjectKey), decision.DecidingResult.Remaining);
            }

            if (policy.DryRun)
            {
                // A dry-run policy must not change what clients see, headers included.
                await _next(context);
                return;
            }

            // Set when the response starts, so the fields survive whatever headers the backend sends.
            context.Response.OnStarting(
                static state =>
                {
                    var (ctx, d, legacy) = ((HttpContext, RateLimitDecision, bool))state;
                    RateLimitHeaders.Write(ctx.Response.Headers, d, legacy);
                    return Task.CompletedTask;
                },
                (context, decision, settings.Headers.Legacy));
            await _next(context);
            if (policy.RefundBackendFailures && context.Features.Get<IForwarderErrorFeature>() is { } failure && BackendReach.NeverReached(failure)
                && Stopwatch.GetElapsedTime(admittedAt).Ticks / TimeSpan.TicksPerMicrosecond < FirstWindowEnd(decision))
            {
                // Only when the backend provably never saw the request, and only while every window the request was
                // counted in is still open: a permit given back into a later window would be a permit that window never had.
                await RefundAsync(request, decision.Basis, failure.Error, policy.Name);
            }

            return;
        }

        if (policy.DryRun)
        {
            // Would have been refused: say so in the log, and let it through without any RateLimit fields.
            Log.DryRunRejected(_logger, policy.Name, decision.DecidingRule.Name, caller.Tier, SubjectKey.ForLog(caller.SubjectKey));
            await _next(context);
            return;
        }

        var retryAfter = RateLimitHeaders.RetryAfterSeconds(decision);
        if (_logger.IsEnabled(LogLevel.Information))
        {
            // The subject's hash is only worth computing when the line is written.
            Log.Rejected(_logger, policy.Name, decision.DecidingRule.Name, caller.Tier, SubjectKey.ForLog(caller.SubjectKey), retryAfter);
        }

        RateLimitHeaders.Write(context.Response.Headers, decision, settings.Headers.Legacy);
        await RateLimitProblem.WriteRejectionAsync(context, decision, retryAfter);
    }

    /// <summary>Microseconds from the decision to the end of the first window among its rules (buckets have none).</summary>
    private static long FirstWindowEnd(in RateLimitDecision decision)
    {
        var first = long.MaxValue;
        for (var i = 0; i < decision.Rules.Rules.Length; i++)
        {
            if (decision.Rules.Rules[i].Algorithm != RateLimitAlgorithm.TokenBucket)
            {
                first = Math.Min(first, decision.Result(i).ResetAfter);
            }
        }

        return first;
    }

    private static string Outcome(in RateLimitDecision decision, bool dryRun) => decision.Basis switch
    {
        DecisionBasis.FailOpen => "fail_open",
        DecisionBasis.Unavailable => "unavailable",
        DecisionBasis.LocalFallback => decision.Allowed ? "fallback_allowed" : "fallback_limited",
        _ => decision.Allowed ? "allowed" : dryRun ? "dry_run_limited" : "limited",
    };

    /// <summary>The backend never received the request: its permits go back (the policy asked for it).</summary>
    private async Task RefundAsync(RateLimitRequest request, DecisionBasis basis, ForwarderError error, string policy)
    {
        try
        {
            // Not the request's token: the client may be gone, the refund should still land.
            await _store.RefundAsync(request, basis, CancellationToken.None);
            Log.Refunded(_logger, policy, error);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.RefundFailed(_logger, e, policy);
        }
    }

    private static AuthenticationProperties ChallengeProperties(string description)
    {
        var properties = new AuthenticationProperties();
        properties.Items["error"] = "invalid_token";
        properties.Items["error_description"] = description;
        return properties;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1207, Level = LogLevel.Information, Message = "Dry run: policy {Policy} would refuse (rule {Rule}, tier {Tier}, subject {SubjectHash}); forwarded.")]
        public static partial void DryRunRejected(ILogger logger, string policy, string rule, string tier, string subjectHash);

        [LoggerMessage(EventId = 1205, Level = LogLevel.Debug, Message = "Refunded a request of policy {Policy}: it never reached the backend ({Error}).")]
        public static partial void Refunded(ILogger logger, string policy, ForwarderError error);

        [LoggerMessage(EventId = 1206, Level = LogLevel.Warning, Message = "Could not refund a request of policy {Policy} that never reached the backend.")]
        public static partial void RefundFailed(ILogger logger, Exception exception, string policy);

        [LoggerMessage(EventId = 1201, Level = LogLevel.Debug, Message = "Admitted: policy {Policy}, rule {Rule}, tier {Tier}, subject {SubjectHash}, {Remaining} left.")]
        public static partial void Admitted(ILogger logger, string policy, string rule, string tier, string subjectHash, long remaining);

        [LoggerMessage(EventId = 1202, Level = LogLevel.Information, Message = "Rejected: policy {Policy}, rule {Rule}, tier {Tier}, subject {SubjectHash}; retry after {RetryAfterSeconds} s.")]
        public static partial void Rejected(ILogger logger, string policy, string rule, string tier, string subjectHash, long retryAfterSeconds);

        [LoggerMessage(EventId = 1203, Level = LogLevel.Error, Message = "Route {RouteId} names rate limit policy {Policy}, which is not configured; answering 503.")]
        public static partial void UnknownPolicy(ILogger logger, string policy, string routeId);

        [LoggerMessage(EventId = 1204, Level = LogLevel.Error, Message = "The rate limit store failed to decide for policy {Policy}; answering 503.")]
        public static partial void StoreFailed(ILogger logger, Exception exception, string policy);
    }
}
