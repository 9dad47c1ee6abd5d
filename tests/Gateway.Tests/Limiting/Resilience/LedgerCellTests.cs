using Gateway.Limiting.Resilience;
using Gateway.Tests.Support;

namespace Gateway.Tests.Limiting.Resilience;

/// <summary>The span of time in which every window of a rule set stays the same.</summary>
public sealed class LedgerCellTests
{
    [Fact]
    public void Start_WindowsThatDoNotDivideEachOther_ChangesWheneverAnyWindowDoes()
    {
        // 60 s and 90 s windows: boundaries at 60, 90, 120, 180 s; each span between them is its own cell.
        var rules = Rules.Set(Rules.Fixed(10, TimeSpan.FromMinutes(1), "p-1m"), Rules.Fixed(10, TimeSpan.FromSeconds(90), "p-90s"));
        long Second(long s) => s * 1_000_000;

        Assert.Equal(Second(60), LedgerCell.Start(rules, Second(61)));
        Assert.Equal(Second(60), LedgerCell.Start(rules, Second(89)));
        Assert.Equal(Second(90), LedgerCell.Start(rules, Second(90)));
        Assert.Equal(Second(90), LedgerCell.Start(rules, Second(119)));
        Assert.Equal(Second(120), LedgerCell.Start(rules, Second(179)));
        Assert.Equal(Second(180), LedgerCell.Start(rules, Second(180)));
    }

    [Fact]
    public void Start_TokenBucketsAlone_AreOneCell()
    {
        var rules = Rules.Set(Rules.Bucket(10, TimeSpan.FromSeconds(1), burst: 20));

        Assert.Equal(0, LedgerCell.Start(rules, 123_456_789));
    }
}
