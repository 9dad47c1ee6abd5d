using SampleUpstream;

await SampleUpstreamApp.Build(args).RunAsync();
