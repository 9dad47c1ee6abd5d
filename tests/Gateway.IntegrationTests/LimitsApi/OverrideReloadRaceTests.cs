using System.Diagnostics;
using System.Net;
using Gateway.IntegrationTests.Distributed;
using Gateway.IntegrationTests.Infrastructure;
using Gateway.Limiting.Overrides;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Gateway.IntegrationTests.LimitsApi;

/// <summary>
/// An override change that lands while an instance is already reloading (its periodic resync, or another change's
/// message, has read the store just before the change) must still apply there within a second, and a PUT must not
/// answer before its own instance applies it. Two instances on Redis standalone; a test hook holds one reload's
/// result for 500 ms after it read the store, making that window certain instead of a matter of luck.
/// </summary>
[Collection(DistributedCollection.Name)]
public sealed class OverrideReloadRaceTests : IClassFixture<OverrideReloadRaceTests.HeldLoadsCluster>
{
    private const string Policy = LimitsApiCluster.OverridePolicy;
    private const int RaisedLimit = 25;
    private static readonly TimeSpan Hold = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan Promise = TimeSpan.FromSeconds(1);

    private readonly HeldLoadsCluster _fixture;
    private readonly ITestOutputHelper _output;

    public OverrideReloadRaceTests(HeldLoadsCluster fixture, ITestOutputHelper output)
    {
        _fixture = fixture;
        _output = output;
    }

    [Fact]
    public async Task PutOverride_WhileAnotherInstanceIsMidReload_StillAppliesThereWithinOneSecond()
    {
        var (a, b) = (_fixture.Instances[0], _fixture.Instances[1]);
        var subject = NewSubject("mid-reload-other");

        // B's next reload (its 5 s resync: nothing else is going on) reads the store, then holds for 500 ms.
        await _fixture.Held(b).ArmAsync(Hold).WaitAsync(TimeSpan.FromSeconds(15));

        var clock = Stopwatch.StartNew();
        using (var put = await a.Client.PutOverrideAsync(subject, Document()))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        // B hears of the change while its reload, which read the store before the change, is still in flight.
        var applied = await ClusterTraffic.WhenAsync(clock, async () => await b.Client.AppliedLimitAsync(subject, Policy) == RaisedLimit, "B applies the override");
        _output.WriteLine($"override PUT on A while B was mid-reload: applied on B after {applied.TotalMilliseconds:F0} ms");
        Assert.True(applied <= Promise, $"B applied the override only after {applied.TotalMilliseconds:F0} ms (its change message arrived during a reload and was dropped; the next resync picked it up)");
    }

    [Fact]
    public async Task PutOverride_WhileItsOwnInstanceIsMidReload_IsInForceThereWhenThePutAnswers()
    {
        var a = _fixture.Instances[0];
        var subject = NewSubject("mid-reload-own");

        await _fixture.Held(a).ArmAsync(Hold).WaitAsync(TimeSpan.FromSeconds(15));

        var clock = Stopwatch.StartNew();
        using (var put = await a.Client.PutOverrideAsync(subject, Document()))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        // Read-your-writes on the instance that took the PUT: it reloads before answering, on purpose.
        HttpStatusCode readBack;
        using (var get = await a.Client.SendJsonAsync(HttpMethod.Get, "/admin/overrides/" + subject, LimitsApiCalls.AdminToken()))
        {
            readBack = get.StatusCode;
        }

        var applied = await ClusterTraffic.WhenAsync(clock, async () => await a.Client.AppliedLimitAsync(subject, Policy) == RaisedLimit, "A applies the override");
        _output.WriteLine($"override PUT on A while A was mid-reload: GET right after the 200 answered {(int)readBack}; applied on A after {applied.TotalMilliseconds:F0} ms");
        Assert.True(
            readBack == HttpStatusCode.OK,
            $"the PUT answered 200, but a GET on the same instance right after answered {(int)readBack}; the override applied there only after {applied.TotalMilliseconds:F0} ms");
    }

    private string NewSubject(string prefix)
    {
        var subject = $"{prefix}-{Guid.NewGuid():N}";
        _fixture.Subjects.Add(subject);
        return subject;
    }

    private static string Document() =>
        $$"""{ "Policies": { "{{Policy}}": [ { "Algorithm": "FixedWindow", "Limit": {{RaisedLimit}}, "Window": "1h" } ] } }""";

    /// <summary>Two real-time instances on Redis standalone, each with its control store wrapped in <see cref="HeldOverrideLoads"/>.</summary>
    public sealed class HeldLoadsCluster : IAsyncLifetime
    {
        private UpstreamServer? _upstream;

        public List<GatewayInstance> Instances { get; } = [];

        /// <summary>
        /// Overrides the tests created, deleted when the class is done (the hash is shared by every test gateway on
        /// this Redis). Not between tests: a deletion's message would set off a reload just when a test arms one.
        /// </summary>
        public List<string> Subjects { get; } = [];

        internal HeldOverrideLoads Held(GatewayInstance instance) => instance.Services.GetRequiredService<HeldOverrideLoads>();

        public async Task InitializeAsync()
        {
            _upstream = await UpstreamServer.StartAsync();
            var config = GatewayConfig.Default(_upstream.Address)
                .WithRedis(RedisTestServers.Standalone)
                .WithPolicyRoute(Policy, $$"""[ { "Algorithm": "FixedWindow", "Limit": {{LimitsApiCluster.Limit}}, "Window": "1h" } ]""");
            for (var i = 0; i < 2; i++)
            {
                Instances.Add(await GatewayInstance.StartAsync(config, builder => builder.ConfigureTestServices(services =>
                {
                    services.AddSingleton<TimeProvider>(new SkewedTimeProvider(TimeSpan.Zero));
                    HeldOverrideLoads.Install(services);
                })));
            }

            // Resolved now, so the registry (created with the API's endpoints) is the one reading through the wrapper.
            Assert.All(Instances, instance => Assert.IsType<HeldOverrideLoads>(instance.Services.GetRequiredService<ILimitsControlStore>()));
        }

        public async Task DisposeAsync()
        {
            foreach (var subject in Subjects)
            {
                using var _ = await Instances[0].Client.DeleteOverrideAsync(subject);
            }

            foreach (var instance in Instances)
            {
                await instance.DisposeAsync();
            }

            if (_upstream is not null)
            {
                await _upstream.DisposeAsync();
            }
        }
    }
}
