using Gateway.Limiting.Policies;

namespace Gateway.Tests.Limiting.Policies;

public sealed class DurationFormatTests
{
    [Theory]
    [InlineData("1s", 1_000)]
    [InlineData("500ms", 500)]
    [InlineData("1m", 60_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("1d", 86_400_000)]
    [InlineData("90s", 90_000)]
    [InlineData("15m", 900_000)]
    [InlineData("366d", 31_622_400_000)]
    [InlineData("0s", 0)]
    [InlineData(" 2s ", 2_000)]
    [InlineData("00:01:30", 90_000)]
    [InlineData("01:00:00", 3_600_000)]
    [InlineData("1.00:00:00", 86_400_000)]
    [InlineData("00:00:00.250", 250)]
    public void TryParse_ValidDuration_ReturnsItsLength(string text, long expectedMilliseconds)
    {
        Assert.True(DurationFormat.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMilliseconds), duration);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("abc")]
    [InlineData("s")]
    [InlineData("ms")]
    [InlineData("10")]
    [InlineData("1x")]
    [InlineData("1w")]
    [InlineData("1 s")]
    [InlineData("1S")]
    [InlineData("-1s")]
    [InlineData("+1s")]
    [InlineData("1.5s")]
    [InlineData("1e3ms")]
    [InlineData("1s1ms")]
    [InlineData("99999999999999999999s")]
    [InlineData("999999999999d")]
    [InlineData("00:61:00")]
    public void TryParse_InvalidDuration_ReturnsFalseAndZero(string? text)
    {
        Assert.False(DurationFormat.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.Zero, duration);
    }

    [Theory]
    [InlineData(1_000, "1s")]
    [InlineData(500, "500ms")]
    [InlineData(1_500, "1500ms")]
    [InlineData(60_000, "1m")]
    [InlineData(90_000, "90s")]
    [InlineData(3_600_000, "1h")]
    [InlineData(5_400_000, "90m")]
    [InlineData(86_400_000, "1d")]
    [InlineData(172_800_000, "2d")]
    [InlineData(90_000_000, "25h")]
    public void Format_Duration_UsesTheLargestUnitThatDividesIt(long milliseconds, string expected)
    {
        Assert.Equal(expected, DurationFormat.Format(TimeSpan.FromMilliseconds(milliseconds)));
    }

    [Theory]
    [InlineData("1s")]
    [InlineData("500ms")]
    [InlineData("90s")]
    [InlineData("1m")]
    [InlineData("1h")]
    [InlineData("7d")]
    public void Format_ParsedShortForm_RoundTrips(string text)
    {
        Assert.True(DurationFormat.TryParse(text, out var duration));
        Assert.Equal(text, DurationFormat.Format(duration));
    }
}
