namespace Gateway.LoadTests.Hosting;

/// <summary>
/// Where things are: the repository (the folder with <c>Gateway.sln</c>, above the working directory or this program),
/// its <c>appsettings/</c>, and the gateway and upstream assemblies built next to this program.
/// </summary>
public sealed record RepositoryLayout(string Root)
{
    public string AppSettings => Path.Combine(Root, "appsettings");

    public string ReportsDirectory => Path.Combine(Root, "loadtests", "reports");

    public static string GatewayAssembly => Path.Combine(AppContext.BaseDirectory, "Gateway.dll");

    public static string UpstreamAssembly => Path.Combine(AppContext.BaseDirectory, "SampleUpstream.dll");

    public static RepositoryLayout Find()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Gateway.sln")))
                {
                    return new RepositoryLayout(directory.FullName);
                }
            }
        }

        throw new InvalidOperationException("Run from inside the repository: no Gateway.sln above the working directory or the program.");
    }
}
