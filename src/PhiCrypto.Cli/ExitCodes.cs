namespace PhiCrypto.Cli;

/// <summary>Exit codes of `phicrypt`, documented in its --help and in the README.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;          // any other error
    public const int Usage = 2;            // bad arguments
    public const int AuthenticationFailed = 3;
    public const int KeyNotFound = 4;
    public const int MalformedData = 5;
    public const int PolicyViolation = 6;
    public const int IoError = 7;            // files, pipes, the network (S3 unreachable, or failing after its retries)
    public const int WrongKek = 8;
}

/// <summary>Turns exceptions into one line on stderr and an exit code; never prints key material.</summary>
public static class CliErrors
{
    public static int Guard(Func<int> body)
    {
        try { return body(); }
        catch (PhiCryptoException e) { return Fail(e.Message, e.Status switch
        {
            PhiStatus.AuthenticationFailed => ExitCodes.AuthenticationFailed,
            PhiStatus.KeyNotFound => ExitCodes.KeyNotFound,
            PhiStatus.MalformedData => ExitCodes.MalformedData,
            PhiStatus.PolicyViolation => ExitCodes.PolicyViolation,
            PhiStatus.WrongKek => ExitCodes.WrongKek,
            PhiStatus.IoError => ExitCodes.IoError,
            PhiStatus.InvalidArgument => ExitCodes.Usage,
            _ => ExitCodes.Failure,
        }); }
        catch (UsageException e) { return Fail(e.Message, ExitCodes.Usage); }
        catch (ArgumentException e) { return Fail(ErrorText.Of(e), ExitCodes.Usage); }
        catch (IOException e) { return Fail(e.Message, ExitCodes.IoError); }
        // A network failure that escaped its command's own handling (S3Client names the endpoint itself).
        catch (HttpRequestException e) { return Fail($"network error: {e.Message}; check the endpoint and the network, then run the command again", ExitCodes.IoError); }
        catch (UnauthorizedAccessException e) { return Fail(e.Message, ExitCodes.IoError); }
    }

    public static int Fail(string message, int code)
    {
        Console.Error.WriteLine($"phicrypt: {message}");
        return code;
    }
}

/// <summary>A command-line mistake: printed as one line, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
