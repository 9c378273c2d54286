// `phicrypt keys`: init | add | list | rotate | rewrap | state | export | import | audit | signing-key. One line on stderr and a
// documented exit code on failure; --json for scripts; --help everywhere. See docs/key-management.md.
using PhiCrypto.Keys;

namespace PhiCrypto.Cli;

internal static class KeysCommand
{
    private const string Usage = $"""
        usage: phicrypt keys <subcommand> [options]
          init [--purpose P]... [--no-default-purposes] [--kdf pbkdf2-sha256|argon2id]
                                                                create a keyring: with purposes files, backups and
                                                                backup-signing (what encrypt and backup use), or
                                                                those given
          add PURPOSE                                           a new purpose with an active v1
          list [--json]                                         purposes, versions, states, timestamps
          rotate PURPOSE [--pre-active] [--reason TEXT]         new active DEK version; the previous one is deactivated
                                                                (an unknown PURPOSE is an error: `keys add` creates one)
          rewrap --new-kek SPEC [--new-passphrase-file F]       KEK rotation: re-wrap every DEK record, no data touched
          state PURPOSE VERSION STATE [--force] [--reason TEXT] move a version (pre-active, active, deactivated,
                                                                compromised, destroyed); destroying needs --force
          export (--recovery-key PUB.pem)... [--recovery-passphrase-file F] -o FILE
                                                                recovery bundle: every DEK, sealed to an offline
                                                                RSA-4096 key (OAEP-SHA-256) and/or a passphrase
          import FILE (--recovery-private-key PRIV.pem | --recovery-passphrase-file F) [--init]
                                                                restore a bundle into this keyring, under its KEK
                                                                (--init: create the keyring first, on a new machine)
          audit [--verify] [--json]                             the audit trail; --verify checks the keyed chain
          audit --head | --expect-head SEQ:MAC                  print the chain's head (copy it to WORM storage or
                                                                syslog) / fail if the store was rolled back before it
          signing-key [-o FILE]                                 the backup verification key (public, PEM) of the
                                                                active "backup-signing" version, and its fingerprint
        keyring options (every subcommand):
        {KeyringCli.OptionsHelp}
        exit codes: 0 ok, 1 failure, 2 usage, 3 integrity (audit chain broken, bundle altered), 4 key not found,
                    5 malformed data, 6 policy (invalid transition, destroy without --force), 7 I/O, 8 wrong KEK
        """;

    public static int Run(string[] args)
    {
        if (args.Length == 0) return CliErrors.Fail("keys: missing subcommand (phicrypt keys --help)", ExitCodes.Usage);
        if (args[0] is "-h" or "--help" or "help") { Console.Out.Write(Usage); return ExitCodes.Ok; }
        var (cli, rest) = KeyringCli.Extract(args[1..]);
        if (rest.Contains("--help") || rest.Contains("-h")) { Console.Out.Write(Usage); return ExitCodes.Ok; }
        return args[0] switch
        {
            "init" => KeysInit.Run(cli, rest),
            "list" => KeysList.Run(cli, rest),
            "add" => KeysLifecycle.Add(cli, rest),
            "rotate" => KeysLifecycle.Rotate(cli, rest),
            "rewrap" => KeysLifecycle.Rewrap(cli, rest),
            "state" => KeysLifecycle.State(cli, rest),
            "export" => KeysRecovery.Export(cli, rest),
            "import" => KeysRecovery.Import(cli, rest),
            "audit" => KeysAudit.Run(cli, rest),
            "signing-key" => KeysSigningKeyCommand.Run(cli, rest),
            _ => CliErrors.Fail($"keys: unknown subcommand '{args[0]}'", ExitCodes.Usage),
        };
    }
}
