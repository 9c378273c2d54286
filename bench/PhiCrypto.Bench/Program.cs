using BenchmarkDotNet.Running;

// Run all: dotnet run -c Release --project bench/PhiCrypto.Bench -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
