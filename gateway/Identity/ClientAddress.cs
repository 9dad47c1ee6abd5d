using System.Net;
using System.Net.Sockets;

namespace Gateway.Identity;

/// <summary>Groups client addresses into the unit an anonymous budget belongs to.</summary>
public static class ClientAddress
{
    /// <summary>
    /// An IPv4 address as is (IPv4-mapped IPv6 unwrapped first); an IPv6 address by its /64 prefix, because one
    /// host usually holds a whole /64 and could otherwise rotate through 2^64 budgets.
    /// </summary>
    public static string Partition(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes).ToString() + "/64";
    }
}
