// The backup helpers are internal to the CLI; its tests exercise option parsing and the manifest directly.
[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("PhiCrypto.Cli.Tests")]
[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("PhiCrypto.Fuzz")]
