namespace SampleUpstream;

internal static class UpstreamProgram
{
    public static async Task Main(string[] args) => await SampleUpstreamApp.Build(args).RunAsync();
}
