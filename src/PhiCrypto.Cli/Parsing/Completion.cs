// `phicrypt completion bash|zsh`: a script that asks phicrypt itself for completions through
// System.CommandLine's [suggest:POSITION] directive, so it always knows the current commands and options.
using PhiCrypto.Cli.Streaming;

namespace PhiCrypto.Cli.Parsing;

internal static class Completion
{
    public const string Help = """
        usage: phicrypt completion bash|zsh
          prints a completion script for the shell: load it with
            source <(phicrypt completion bash)      (in ~/.bashrc)
            source <(phicrypt completion zsh)       (in ~/.zshrc)
        exit codes: 0 ok, 2 usage
        """;

    private const string Bash = """
        # phicrypt completion for bash: source <(phicrypt completion bash)
        _phicrypt_complete() {
            local IFS=$'\n'
            COMPREPLY=( $(compgen -W "$("${COMP_WORDS[0]}" "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}") )
        }
        complete -o default -F _phicrypt_complete phicrypt

        """;

    private const string Zsh = """
        # phicrypt completion for zsh: source <(phicrypt completion zsh)
        _phicrypt_complete() {
            local -a candidates
            candidates=("${(@f)$(${words[1]} "[suggest:${#BUFFER}]" "${BUFFER}" 2>/dev/null)}")
            compadd -- $candidates
        }
        compdef _phicrypt_complete phicrypt

        """;

    public static int Run(CommandArgs a)
    {
        Console.Out.Write(a.Positionals switch
        {
            ["bash"] => Bash,
            ["zsh"] => Zsh,
            _ => throw new UsageException("completion expects bash or zsh"),
        });
        return ExitCodes.Ok;
    }
}
