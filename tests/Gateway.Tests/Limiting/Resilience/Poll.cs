using System.Diagnostics;

namespace Gateway.Tests.Limiting.Resilience;

/// <summary>
/// Waits for a condition that background work (a probe on the thread pool) makes true. The bound only turns a hang
/// into a failure: no test asserts how long anything took.
/// </summary>
internal static class Poll
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    /// <summary>Polls <paramref name="condition"/>, calling <paramref name="poke"/> before each look (e.g. to start a probe).</summary>
    public static async Task UntilAsync(Func<bool> condition, string what, Action? poke = null)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            poke?.Invoke();
            if (condition())
            {
                return;
            }

            Assert.True(Stopwatch.GetElapsedTime(started) < Bound, $"Gave up waiting until {what}.");
            await Task.Delay(1);
        }
    }
}
