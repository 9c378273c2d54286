using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PhiCrypto.Cli.Tests;

/// <summary>
/// A TCP proxy in front of the real Swift s3api server that fails the requests a test picks: it answers
/// 500 InternalError itself, or resets the connection after reading the request head. Every other
/// request goes to Swift byte for byte (the Host header stays, so signatures still verify).
/// </summary>
public sealed class S3FaultProxy : IDisposable
{
    public enum Fault { None, ServerError, Drop }

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Uri _target;
    private readonly Func<string, Fault> _decide;
    private readonly CancellationTokenSource _stop = new();

    /// <summary>Request lines ("PUT /b/k?partNumber=1&amp;uploadId=... HTTP/1.1") with what was done to them.</summary>
    public ConcurrentQueue<(string Line, Fault Fault)> Seen { get; } = new();

    public S3FaultProxy(string targetEndpoint, Func<string, Fault> decide)
    {
        _target = new Uri(targetEndpoint);
        _decide = decide;
        _listener.Start();
        _ = AcceptLoop();
    }

    public string Endpoint => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>A rule failing the first <paramref name="times"/> part uploads whose number is <paramref name="partNumber"/>.</summary>
    public static Func<string, Fault> FailPart(int partNumber, int times, Fault fault)
    {
        int seen = 0;
        return line => line.StartsWith("PUT ", StringComparison.Ordinal) && line.Contains($"partNumber={partNumber}&")
            && Interlocked.Increment(ref seen) <= times ? fault : Fault.None;
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = Task.Run(() => Serve(client));
        }
    }

    private async Task Serve(TcpClient client)
    {
        using var _ = client;
        using var upstream = new TcpClient();
        await upstream.ConnectAsync(_target.Host, _target.Port);
        var down = client.GetStream();
        var up = upstream.GetStream();
        var back = up.CopyToAsync(down);   // responses flow back untouched
        var reader = new HeadReader(down);
        try
        {
            while (await reader.ReadHead() is { } head)
            {
                var line = head[..head.IndexOf("\r\n", StringComparison.Ordinal)];
                var fault = _decide(line);
                Seen.Enqueue((line, fault));
                long length = ContentLength(head);
                if (fault == Fault.Drop) { client.Client.LingerState = new LingerOption(true, 0); return; }   // RST
                if (fault == Fault.ServerError)
                {
                    await reader.CopyBody(Stream.Null, length);
                    const string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>InternalError</Code><Message>injected</Message></Error>";
                    await down.WriteAsync(Encoding.ASCII.GetBytes(
                        $"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/xml\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}"));
                    return;
                }
                await up.WriteAsync(Encoding.ASCII.GetBytes(head));
                await reader.CopyBody(up, length);
            }
            upstream.Client.Shutdown(SocketShutdown.Send);
            await back;
        }
        catch (IOException) { }
        catch (SocketException) { }
    }

    private static long ContentLength(string head)
    {
        foreach (var line in head.Split("\r\n"))
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) return long.Parse(line[15..].Trim());
        return 0;
    }

    /// <summary>Reads HTTP/1.1 request heads and Content-Length bodies off a connection (no chunked bodies: the CLI sends none).</summary>
    private sealed class HeadReader(Stream s)
    {
        private readonly byte[] _buf = new byte[1 << 16];
        private int _start, _end;

        public async Task<string?> ReadHead()
        {
            while (true)
            {
                int at = _buf.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8);
                if (at >= 0)
                {
                    var head = Encoding.ASCII.GetString(_buf, _start, at + 4);
                    _start += at + 4;
                    return head;
                }
                if (_start > 0) { Buffer.BlockCopy(_buf, _start, _buf, 0, _end - _start); _end -= _start; _start = 0; }
                int n = await s.ReadAsync(_buf.AsMemory(_end));
                if (n == 0) return null;
                _end += n;
            }
        }

        public async Task CopyBody(Stream to, long length)
        {
            while (length > 0)
            {
                if (_start == _end) { _start = _end = 0; _end = await s.ReadAsync(_buf); if (_end == 0) throw new IOException("client closed mid-body"); }
                int n = (int)Math.Min(length, _end - _start);
                await to.WriteAsync(_buf.AsMemory(_start, n));
                _start += n;
                length -= n;
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }
}
