using System.Net;
using Gateway.Identity;

namespace Gateway.Tests.Identity;

public sealed class ClientAddressTests
{
    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7")]
    [InlineData("10.0.0.1", "10.0.0.1")]
    [InlineData("127.0.0.1", "127.0.0.1")]
    public void Partition_IPv4_IsTheAddressItself(string address, string expected)
    {
        Assert.Equal(expected, ClientAddress.Partition(IPAddress.Parse(address)));
    }

    [Fact]
    public void Partition_IPv4MappedIPv6_IsTheIPv4Address()
    {
        var mapped = IPAddress.Parse("::ffff:203.0.113.7");

        Assert.Equal("203.0.113.7", ClientAddress.Partition(mapped));
        Assert.Equal(ClientAddress.Partition(IPAddress.Parse("203.0.113.7")), ClientAddress.Partition(mapped));
    }

    [Theory]
    [InlineData("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2::", "2001:db8:1:2::/64")]
    [InlineData("2001:db8::1", "2001:db8::/64")]
    [InlineData("::1", "::/64")]
    [InlineData("fe80::1%3", "fe80::/64")]
    public void Partition_IPv6_IsTheSlash64Prefix(string address, string expected)
    {
        Assert.Equal(expected, ClientAddress.Partition(IPAddress.Parse(address)));
    }

    [Fact]
    public void Partition_IPv6HostsInOneSlash64_ShareAPartition()
    {
        var first = ClientAddress.Partition(IPAddress.Parse("2001:db8:aa:bb:1::1"));
        var second = ClientAddress.Partition(IPAddress.Parse("2001:db8:aa:bb:ffff:ffff:ffff:ffff"));

        Assert.Equal(first, second);
    }

    [Fact]
    public void Partition_IPv6InNeighbouringSlash64s_AreSeparate()
    {
        var first = ClientAddress.Partition(IPAddress.Parse("2001:db8:aa:bb::1"));
        var second = ClientAddress.Partition(IPAddress.Parse("2001:db8:aa:bc::1"));

        Assert.NotEqual(first, second);
    }

    [Fact]
    public void Partition_NullAddress_IsUnknown()
    {
        Assert.Equal("unknown", ClientAddress.Partition(null));
    }
}
