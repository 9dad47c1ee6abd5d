namespace Gateway.LoadTests.Scenarios;

/// <summary>A table a scenario adds to its report (e.g. admitted requests per subject and window).</summary>
public sealed record ReportTable(string Title, IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<string>> Rows);
