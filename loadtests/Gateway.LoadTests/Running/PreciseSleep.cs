using System.Runtime.InteropServices;

namespace Gateway.LoadTests.Running;

/// <summary>
/// Blocks the calling thread for a duration with sub-millisecond precision, without spinning. .NET's timers (and so
/// <c>Task.Delay</c>) fire on a millisecond tick, one to two milliseconds late: at an open loop's intervals that lateness
/// would count as server latency. On Linux, <c>nanosleep</c> wakes within tens of microseconds; elsewhere this falls
/// back to <c>Thread.Sleep</c>. For the open loop's dedicated scheduling thread only.
/// </summary>
internal static partial class PreciseSleep
{
    private const int Interrupted = 4; // EINTR

    public static void For(TimeSpan duration)
    {
        if (duration <= TimeSpan.Zero)
        {
            return;
        }

        if (!OperatingSystem.IsLinux())
        {
            Thread.Sleep(duration);
            return;
        }

        var ticks = duration.Ticks;
        var request = new TimeSpec { Seconds = ticks / TimeSpan.TicksPerSecond, Nanoseconds = ticks % TimeSpan.TicksPerSecond * 100 };
        while (NanoSleep(ref request, out var remaining) != 0 && Marshal.GetLastPInvokeError() == Interrupted)
        {
            request = remaining;
        }
    }

    [LibraryImport("libc", EntryPoint = "nanosleep", SetLastError = true)]
    private static partial int NanoSleep(ref TimeSpec request, out TimeSpec remaining);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
