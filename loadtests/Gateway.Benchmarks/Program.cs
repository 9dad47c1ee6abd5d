using BenchmarkDotNet.Running;

namespace Gateway.Benchmarks;

internal static class Program
{
    /// <summary><c>dotnet run -c Release --project loadtests/Gateway.Benchmarks -- --filter '*'</c></summary>
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
