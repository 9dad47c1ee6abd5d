namespace Gateway.LoadTests.Running;

/// <summary>How load is applied.</summary>
public enum LoadMode
{
    /// <summary>Requests start on a schedule (a fixed or ramped rate), whether or not earlier ones have finished.</summary>
    Open,

    /// <summary>A fixed number of clients, each sending its next request when the previous one finished.</summary>
    Closed,
}
