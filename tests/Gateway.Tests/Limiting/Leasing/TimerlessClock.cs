using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Limiting.Leasing;

/// <summary>
/// A fake clock whose timers never fire. <see cref="FakeTimeProvider.Advance"/> runs due timer callbacks on the
/// advancing thread, so a store built on the bare fake clock sweeps whenever a test moves time; built on this one, it
/// sweeps only when the test says so.
/// </summary>
internal sealed class TimerlessClock(FakeTimeProvider clock) : TimeProvider
{
    public override long TimestampFrequency => clock.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => clock.LocalTimeZone;

    public override DateTimeOffset GetUtcNow() => clock.GetUtcNow();

    public override long GetTimestamp() => clock.GetTimestamp();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) => new InertTimer();

    private sealed class InertTimer : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => true;

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
