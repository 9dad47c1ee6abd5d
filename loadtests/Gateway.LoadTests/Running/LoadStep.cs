namespace Gateway.LoadTests.Running;

/// <summary>
/// One measured phase of a scenario: a load shape, the plan that says what each request is, the names of the groups
/// outcomes are split into, and an optional observer that reads responses (headers) before they are disposed.
/// </summary>
public sealed record LoadStep(string Name, LoadShape Shape, Func<long, RequestSpec> Plan)
{
    public IReadOnlyList<string> Groups { get; init; } = ["all"];

    /// <summary>Called with every response (never with failures); must be thread-safe and quick.</summary>
    public Action<RequestSpec, HttpResponseMessage>? Observe { get; init; }
}
