// `phicrypt keys`: init | add | list | rotate | rewrap | state | export | import | audit | signing-key. One line on stderr and a
// documented exit code on failure; --json for scripts; --help everywhere. See docs/key-management.md.
using PhiCrypto.Cli.Parsing;
using PhiCrypto.Cli.Streaming;
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
        --json (every subcommand but audit --head): the report as one JSON object on standard output
        keyring options (every subcommand):
        {KeyringCli.OptionsHelp}
        exit codes: 0 ok, 1 failure, 2 usage, 3 integrity (audit chain broken, bundle altered), 4 key not found,
                    5 malformed data, 6 policy (invalid transition, destroy without --force), 7 I/O, 8 wrong KEK
        """;

    /// <summary>`keys` and its subcommands, each with the keyring options.</summary>
    public static Verb Build()
    {
        static Verb Sub(string name, Func<KeyringCli, CommandArgs, int> run) =>
            new Verb(name, Usage).KeyringOptions().Positionals().Runs(a => run(a.Keyring(), a));
        return new Verb("keys", Usage)
            .Add(Sub("init", KeysInit.Run).Repeatable("--purpose").Options("--kdf").Flags("--json", "--no-default-purposes"))
            .Add(Sub("add", KeysLifecycle.Add).Flags("--json"))
            .Add(Sub("list", KeysList.Run).Flags("--json"))
            .Add(Sub("rotate", KeysLifecycle.Rotate).Options("--reason").Flags("--pre-active", "--json"))
            .Add(Sub("rewrap", KeysLifecycle.Rewrap).Options("--new-kek", "--new-passphrase-file", "--kdf").Flags("--json"))
            .Add(Sub("state", KeysLifecycle.State).Options("--reason").Flags("--force", "--json"))
            .Add(Sub("export", KeysRecovery.Export).Repeatable("--recovery-key").Options("--recovery-passphrase-file", "--output|-o").Flags("--recovery-passphrase", "--json"))
            .Add(Sub("import", KeysRecovery.Import).Options("--recovery-private-key", "--recovery-passphrase-file", "--source-kek").Flags("--recovery-passphrase", "--init", "--json"))
            .Add(Sub("audit", KeysAudit.Run).Options("--expect-head").Flags("--verify", "--json", "--head"))
            .Add(Sub("signing-key", KeysSigningKeyCommand.Run).Options("--output|-o").Flags("--json"));
    }
}
