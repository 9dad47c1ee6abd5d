using System.Security.Cryptography;
using System.Text;
using Gateway.Identity;

namespace Gateway.Tests.Identity;

public sealed class SubjectKeyTests
{
    private static string Sha256Hex(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));

    [Theory]
    [InlineData("alice")]
    [InlineData("auth0|5f7c8ec7c33c6c004bbafe82")]
    [InlineData("user@example.com")]
    [InlineData("ünïcødé")]
    public void ForSubject_OrdinarySubject_IsPrefixedAndKeptPlain(string subject)
    {
        Assert.Equal("u:" + subject, SubjectKey.ForSubject(subject));
    }

    [Fact]
    public void ForSubject_SubjectOfExactlyMaxPlainLength_IsKeptPlain()
    {
        var subject = new string('a', SubjectKey.MaxPlainLength);

        Assert.Equal("u:" + subject, SubjectKey.ForSubject(subject));
    }

    [Fact]
    public void ForSubject_SubjectLongerThanMaxPlainLength_IsHashedToABoundedKey()
    {
        var subject = new string('a', SubjectKey.MaxPlainLength + 1);

        var key = SubjectKey.ForSubject(subject);

        Assert.Equal("u#" + Sha256Hex(subject), key);
        Assert.Equal(66, key.Length);
        Assert.Equal(66, SubjectKey.ForSubject(new string('b', 100_000)).Length);
    }

    [Theory]
    [InlineData("{alice}")]
    [InlineData("al{ice")]
    [InlineData("al}ice")]
    [InlineData("alice\n")]
    [InlineData("ali\tce")]
    [InlineData("alice\u0000")]
    [InlineData("alice\u007f")]
    [InlineData("alice\u0085")]
    public void ForSubject_BracesOrControlCharacters_AreHashed(string subject)
    {
        var key = SubjectKey.ForSubject(subject);

        Assert.Equal("u#" + Sha256Hex(subject), key);
        Assert.DoesNotContain('{', key);
        Assert.DoesNotContain('}', key);
    }

    [Fact]
    public void ForSubject_SameSubject_IsStable()
    {
        var subject = new string('x', 500);

        Assert.Equal(SubjectKey.ForSubject(subject), SubjectKey.ForSubject(subject));
        Assert.NotEqual(SubjectKey.ForSubject(subject), SubjectKey.ForSubject(subject + "y"));
    }

    [Fact]
    public void ForAddress_Partition_IsPrefixedWithIp()
    {
        Assert.Equal("ip:203.0.113.7", SubjectKey.ForAddress("203.0.113.7"));
        Assert.Equal("ip:2001:db8::/64", SubjectKey.ForAddress("2001:db8::/64"));
    }

    [Fact]
    public void ForSubject_SubjectThatLooksLikeAnAddressKey_DoesNotCollideWithTheAddress()
    {
        Assert.NotEqual(SubjectKey.ForAddress("203.0.113.7"), SubjectKey.ForSubject("203.0.113.7"));
        Assert.NotEqual(SubjectKey.ForAddress("203.0.113.7"), SubjectKey.ForSubject("ip:203.0.113.7"));
        Assert.False(SubjectKey.ForSubject("ip:203.0.113.7").StartsWith("ip:", StringComparison.Ordinal));
    }

    [Fact]
    public void ForSubject_PlainSubjectThatLooksLikeAHash_DoesNotCollideWithTheHashedKey()
    {
        var longSubject = new string('a', 200);
        var hashedKey = SubjectKey.ForSubject(longSubject);
        var lookalike = hashedKey[2..];

        Assert.NotEqual(hashedKey, SubjectKey.ForSubject(lookalike));
        Assert.Equal("u:" + lookalike, SubjectKey.ForSubject(lookalike));
    }

    [Fact]
    public void ForLog_SubjectKey_Is12HexDigitsOfItsHash()
    {
        var log = SubjectKey.ForLog("u:alice");

        Assert.Equal(Sha256Hex("u:alice")[..12], log);
        Assert.Matches("^[0-9a-f]{12}$", log);
        Assert.DoesNotContain("alice", log, StringComparison.Ordinal);
    }
}
