using System.Text.Json;
using Gateway.Hosting;
using Gateway.Identity;
using Gateway.Limiting;
using Gateway.Limiting.Overrides;
using Gateway.Limiting.Policies;
using Gateway.Limiting.Resilience;
using Gateway.Limiting.Storage;

namespace Gateway.LimitsApi;

/// <summary>
/// The limits API, outside the proxy (never rate limited by it): <c>POST /v1/limits/check</c> for services not behind
/// the gateway, and the admin endpoints (usage, runtime overrides, resets) behind a role claim. Bad bodies are 400
/// <c>application/problem+json</c> naming the field. Decisions go through the same store and leases as the proxy.
/// </summary>
public static class LimitsApiEndpoints
{
    public const string AdminPolicy = "gateway-admin";

    public static IEndpointRouteBuilder MapLimitsApi(this IEndpointRouteBuilder endpoints)
    {
        // Created now: it loads the runtime overrides and subscribes to changes from start-up on.
        endpoints.ServiceProvider.GetRequiredService<OverrideRegistry>();

        endpoints.MapPost("/v1/limits/check", CheckAsync)
            .AddEndpointFilter(StoreFailuresAre503)
            .WithName("CheckLimit").WithSummary("Check (and by default consume) a policy's limits for a subject.")
            .Accepts<CheckRequest>("application/json").Produces<CheckResponse>(200).Produces<CheckResponse>(429).ProducesValidationProblem();

        var admin = endpoints.MapGroup("/admin").RequireAuthorization(AdminPolicy).AddEndpointFilter(StoreFailuresAre503);
        admin.MapGet("/subjects/{id}/usage", UsageAsync)
            .WithName("SubjectUsage").WithSummary("Every rule that applies to a subject, what is left, and which would reject next.")
            .Produces<SubjectUsage>();
        admin.MapPost("/subjects/{id}/reset", ResetAsync)
            .WithName("ResetSubject").WithSummary("Clear a subject's counters (every policy, or ?policy=) on every instance.");
        admin.MapGet("/overrides/{id}", GetOverrideAsync).WithName("GetOverride").WithSummary("A subject's runtime override.");
        admin.MapPut("/overrides/{id}", PutOverrideAsync)
            .WithName("PutOverride").WithSummary("Set a subject's rules per policy, optionally until ExpiresAt; applies on every instance within a second.")
            .Accepts<JsonElement>("application/json").ProducesValidationProblem();
        admin.MapDelete("/overrides/{id}", DeleteOverrideAsync).WithName("DeleteOverride").WithSummary("Remove a subject's runtime override.");
        return endpoints;
    }

    /// <summary>A shared store that cannot answer is a 503 with a retry hint, never a 500.</summary>
    private static async ValueTask<object?> StoreFailuresAre503(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (Exception e) when (e is StoreUnavailableException or StackExchange.Redis.RedisException or TimeoutException)
        {
            context.HttpContext.Response.Headers.RetryAfter = "1";
            return Results.Problem(statusCode: 503, title: "Service Unavailable", detail: "The shared store did not answer; retry shortly. Nothing was changed, or only some policies were (a reset is safe to repeat).");
        }
    }

    private static async Task<IResult> CheckAsync(HttpContext context, RateLimitingSettingsProvider provider, OverrideRegistry overrides, IRateLimitStore store)
    {
        var settings = provider.Current;
        var errors = new Dictionary<string, string[]>();
        CheckRequest? body = null;
        try
        {
            body = await JsonSerializer.DeserializeAsync<CheckRequest>(context.Request.Body, JsonOptions, context.RequestAborted);
        }
        catch (JsonException e)
        {
            errors[e.Path is { Length: > 2 } path ? path.TrimStart('$', '.') : "body"] = [$"is not valid: {e.Message}"];
        }

        if (body is null)
        {
            return Results.ValidationProblem(errors.Count > 0 ? errors : new() { ["body"] = ["a JSON object is required"] });
        }

        RateLimitPolicy? policy = null;
        if (string.IsNullOrWhiteSpace(body.Policy))
        {
            errors["policy"] = ["is required"];
        }
        else if (!settings.Policies.TryGetValue(body.Policy, out policy))
        {
            errors["policy"] = [$"'{body.Policy}' is not a configured policy"];
        }

        var cost = body.Cost ?? 1;
        if (cost < 1)
        {
            errors["cost"] = ["must be at least 1"];
        }

        if (body.Subject is not null && string.IsNullOrWhiteSpace(body.Subject))
        {
            errors["subject"] = ["must not be empty"];
        }

        if (body.Tier is not null && body.Subject is null)
        {
            errors["tier"] = ["applies only with subject: the caller's own tier comes from its token"];
        }

        if (errors.Count > 0)
        {
            return Results.ValidationProblem(errors);
        }

        string? subject;
        string subjectKey;
        string tier;
        if (body.Subject is { } explicitSubject)
        {
            // Spending or reading another subject's budget is an admin's business.
            if (!IsAdmin(context, settings))
            {
                return context.User.Identity?.IsAuthenticated == true ? Results.Forbid() : Results.Challenge();
            }

            (subject, subjectKey, tier) = (explicitSubject, SubjectKey.ForSubject(explicitSubject), body.Tier ?? settings.Identity.DefaultTier);
        }
        else if (CallerIdentityResolver.TryResolve(context, settings.Identity, out var caller))
        {
            (subject, subjectKey, tier) = (caller.Subject, caller.SubjectKey, caller.Tier);
        }
        else
        {
            return Results.Challenge();
        }

        var rules = overrides.Resolve(settings, policy!, subject, tier);
        var request = new RateLimitRequest(policy!.PartitionKey(subjectKey), rules, cost, body.Consume ?? true, Exact: !policy!.Leases, FailureMode: policy.FailureMode);
        var decision = await store.AcquireAsync(request, context.RequestAborted);
        if (decision.Basis == DecisionBasis.Unavailable)
        {
            context.Response.Headers.RetryAfter = "1";
            return Results.Problem(statusCode: 503, title: "Service Unavailable", detail: "The rate limiter cannot decide right now (failure mode FailClosed).");
        }

        if (policy.DryRun)
        {
            // As on the proxy: a dry-run policy never refuses and sends no RateLimit fields; it only says what it would do.
            return Results.Json(
                new CheckResponse(true, policy.Name, rules.Source, decision.Basis.ToString(), null, Usage(decision), DryRunWouldRefuse: !decision.Allowed),
                JsonOptions);
        }

        if (decision.Basis != DecisionBasis.FailOpen)
        {
            RateLimitHeaders.Write(context.Response.Headers, decision, settings.Headers.Legacy);
        }

        var answer = new CheckResponse(
            decision.Allowed,
            policy.Name,
            rules.Source,
            decision.Basis.ToString(),
            decision.Allowed ? null : RateLimitHeaders.RetryAfterSeconds(decision),
            Usage(decision));
        return Results.Json(answer, JsonOptions, statusCode: decision.Allowed ? 200 : 429);
    }

    private static async Task<IResult> UsageAsync(
        string id, string? policy, string? tier, RateLimitingSettingsProvider provider, OverrideRegistry overrides, IRateLimitStore store, CancellationToken cancellationToken)
    {
        var settings = provider.Current;
        if (policy is not null && !settings.Policies.ContainsKey(policy))
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["policy"] = [$"'{policy}' is not a configured policy"] });
        }

        var effectiveTier = tier ?? settings.Identity.DefaultTier;
        var runtime = overrides.Find(id);
        var result = new List<PolicyUsage>();
        foreach (var p in settings.Policies.Values.Where(p => policy is null || p.Name.Equals(policy, StringComparison.OrdinalIgnoreCase)).OrderBy(static p => p.Name, StringComparer.Ordinal))
        {
            var rules = overrides.Resolve(settings, p, id, effectiveTier);
            var peek = await store.AcquireAsync(new RateLimitRequest(p.PartitionKey(SubjectKey.ForSubject(id)), rules, 1, Consume: false, FailureMode: p.FailureMode), cancellationToken);
            var usage = Usage(peek);
            result.Add(new PolicyUsage(
                p.Name,
                rules.Source,
                runtime?.Policies.ContainsKey(p.Name) == true,
                runtime?.Policies.ContainsKey(p.Name) == true ? runtime.ExpiresAt : null,
                peek.Allowed ? null : peek.DecidingRule.Name,
                usage));
        }

        return Results.Json(new SubjectUsage(id, effectiveTier, result), JsonOptions);
    }

    private static async Task<IResult> ResetAsync(
        string id, string? policy, RateLimitingSettingsProvider provider, OverrideRegistry overrides, ILimitsControlStore control, CancellationToken cancellationToken)
    {
        var settings = provider.Current;
        if (policy is not null && !settings.Policies.ContainsKey(policy))
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["policy"] = [$"'{policy}' is not a configured policy"] });
        }

        var reset = new List<string>();
        // A global policy's counters are everyone's: reset only when named.
        foreach (var p in settings.Policies.Values.Where(p => policy is null ? p.Scope != PolicyScope.Global : p.Name.Equals(policy, StringComparison.OrdinalIgnoreCase)))
        {
            // Every rule the subject could be counted under: any tier, the configured override, the runtime one.
            var rules = p.Tiers.Values.SelectMany(static r => r.Rules)
                .Concat(settings.Overrides.TryGetValue(id, out var configured) && configured.TryGetValue(p.Name, out var c) ? c.Rules : [])
                .Concat(overrides.FindRules(id, p.Name)?.Rules ?? []);
            var partitionKey = p.PartitionKey(SubjectKey.ForSubject(id));
            await control.ResetCountersAsync(partitionKey, rules, cancellationToken);
            await control.PublishAsync(ControlMessage.ResetPrefix + partitionKey, cancellationToken);
            reset.Add(p.Name);
        }

        return Results.Json(new { subject = id, reset }, JsonOptions);
    }

    private static IResult GetOverrideAsync(string id, OverrideRegistry overrides) =>
        overrides.Find(id) is { } found ? Results.Text(found.Document, "application/json") : Results.NotFound();

    private static async Task<IResult> PutOverrideAsync(
        string id, HttpContext context, RateLimitingSettingsProvider provider, OverrideRegistry overrides, ILimitsControlStore control)
    {
        using var reader = new StreamReader(context.Request.Body);
        var json = await reader.ReadToEndAsync(context.RequestAborted);
        var errors = new ConfigurationErrors();
        if (string.IsNullOrWhiteSpace(id))
        {
            errors.Add("id", "is required");
        }

        var parsed = OverrideDocument.Parse(id, json, provider.Current, errors);
        if (parsed is null)
        {
            return Results.ValidationProblem(errors.Entries.GroupBy(static e => e.Key).ToDictionary(static g => g.Key, static g => g.Select(static e => e.Value).ToArray()));
        }

        await control.SaveOverrideAsync(id, json, context.RequestAborted);
        await control.PublishAsync(ControlMessage.OverridesChanged, context.RequestAborted);
        await overrides.ReloadAsync();
        return Results.Text(json, "application/json");
    }

    private static async Task<IResult> DeleteOverrideAsync(string id, OverrideRegistry overrides, ILimitsControlStore control, CancellationToken cancellationToken)
    {
        if (!await control.DeleteOverrideAsync(id, cancellationToken))
        {
            return Results.NotFound();
        }

        await control.PublishAsync(ControlMessage.OverridesChanged, cancellationToken);
        await overrides.ReloadAsync();
        return Results.NoContent();
    }

    private static List<RuleUsage> Usage(RateLimitDecision decision)
    {
        var usage = new List<RuleUsage>(decision.Rules.Rules.Length);
        for (var i = 0; i < decision.Rules.Rules.Length; i++)
        {
            var rule = decision.Rules.Rules[i];
            var result = decision.Result(i);
            usage.Add(new RuleUsage(
                rule.Name, rule.Algorithm.ToString(), rule.Limit, rule.WindowText,
                rule.Algorithm == RateLimitAlgorithm.TokenBucket ? rule.Burst : null,
                result.Remaining, RateLimitHeaders.CeilSeconds(result.ResetAfter), !result.Allowed));
        }

        return usage;
    }

    private static bool IsAdmin(HttpContext context, RateLimitingSettings settings) =>
        context.User.HasClaim(settings.Admin.RoleClaim, settings.Admin.Role);

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);
}
