// What phi_stream and phi_reader handles point at, and the Streams that put file descriptors and
// pushed bytes under the core's message format (PhiCrypto.Messages, AWS Encryption SDK v2).
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using PhiCrypto.Compression;
using PhiCrypto.Messages;
using PhiCrypto.IO;

namespace PhiCrypto.Native;

internal static class Fd
{
    /// <summary>A Stream over a caller's descriptor, not owned (never closed) and unbuffered.</summary>
    internal static FileStream Open(int fd, FileAccess access)
    {
        if (fd < 0) throw new ArgumentException("file descriptor is negative");
        return new FileStream(new SafeFileHandle(fd, ownsHandle: false), access, bufferSize: 0);
    }
}

/// <summary>Bytes written by an encryptor or decryptor, waiting for the caller to pull them.</summary>
internal sealed class PendingOutput : WriteOnlyStream
{
    private byte[] _buffer = new byte[64 * 1024];
    private int _start, _end;

    public int Count => _end - _start;

    public override void Write(ReadOnlySpan<byte> data)
    {
        if (_buffer.Length - _end < data.Length)
        {
            if (_buffer.Length - Count >= data.Length)
            {
                _buffer.AsSpan(_start, Count).CopyTo(_buffer);
            }
            else
            {
                var larger = new byte[Math.Max(_buffer.Length * 2, Count + data.Length)];
                _buffer.AsSpan(_start, Count).CopyTo(larger);
                CryptographicOperations.ZeroMemory(_buffer);
                _buffer = larger;
            }
            _end = Count;
            _start = 0;
        }
        data.CopyTo(_buffer.AsSpan(_end));
        _end += data.Length;
    }

    public int Drain(Span<byte> destination)
    {
        int n = Math.Min(destination.Length, Count);
        _buffer.AsSpan(_start, n).CopyTo(destination);
        CryptographicOperations.ZeroMemory(_buffer.AsSpan(_start, n));
        _start += n;
        if (_start == _end) _start = _end = 0;
        return n;
    }

    public void Clear()
    {
        CryptographicOperations.ZeroMemory(_buffer);
        _start = _end = 0;
    }

}

/// <summary>A push-mode stream: feed bytes in, pull bytes out. Calls are serialized by a lock.</summary>
internal abstract class PushStream : IDisposable
{
    protected readonly object Gate = new();
    protected readonly PendingOutput Output = new();

    public abstract void Push(ReadOnlySpan<byte> input);
    public abstract void Finish();
    public abstract int Pull(Span<byte> destination);
    public abstract int Pending { get; }
    public abstract IReadOnlyDictionary<string, string>? Context { get; }
    public abstract void Dispose();
}

/// <summary>Encrypts pushed plaintext into a message, synchronously on the caller's thread.</summary>
internal sealed class PushEncryptor : PushStream
{
    private readonly IDisposable _wrapper;
    private readonly MessageEncryptStream _stream;
    private readonly SeekableZstdWriter? _compressor;   // when the context asks for compressed content
    private readonly IReadOnlyDictionary<string, string> _context;

    public PushEncryptor(IDisposable wrapper, MessageEncryptOptions options)
    {
        _wrapper = wrapper;
        var (marked, frameSize) = ContentEncoding.Prepare(options);
        _context = marked.EncryptionContext;
        _stream = new MessageEncryptStream(Output, marked, leaveOpen: true);
        if (frameSize is int size) _compressor = new SeekableZstdWriter(_stream, size);
    }

    public override void Push(ReadOnlySpan<byte> input) { lock (Gate) (_compressor ?? (Stream)_stream).Write(input); }

    public override void Finish()
    {
        lock (Gate)
        {
            _compressor?.Complete();
            _stream.FlushFinalBlock();
        }
    }

    public override int Pull(Span<byte> destination) { lock (Gate) return Output.Drain(destination); }
    public override int Pending { get { lock (Gate) return Output.Count; } }
    public override IReadOnlyDictionary<string, string>? Context => _context;

    public override void Dispose()
    {
        lock (Gate)
        {
            _compressor?.Dispose();
            try { _stream.Dispose(); } catch (Exception) { /* an unfinished message is simply dropped */ }
            Output.Clear();
            _wrapper.Dispose();
        }
    }
}

/// <summary>
/// Decrypts pushed ciphertext. The core's decryptor reads from a Stream, so it runs on a worker
/// thread that reads what was pushed; Pull waits until the worker has consumed everything pushed so
/// far (or failed, or finished), so its result does not depend on timing.
/// </summary>
internal sealed class PushDecryptor : PushStream
{
    private readonly IDisposable _wrapper;
    private readonly MessageDecryptOptions _options;
    private readonly PendingOutput _input = new();
    private readonly Thread _worker;
    private bool _inputComplete, _starved, _done, _abandoned;
    private Exception? _failure;
    private IReadOnlyDictionary<string, string>? _context;

    public PushDecryptor(IDisposable wrapper, MessageDecryptOptions options)
    {
        _wrapper = wrapper;
        _options = options;
        _worker = new Thread(Run) { IsBackground = true, Name = "phicrypto push decryptor" };
        _worker.Start();
    }

    public override IReadOnlyDictionary<string, string>? Context { get { lock (Gate) return _context; } }

    public override void Push(ReadOnlySpan<byte> input)
    {
        lock (Gate)
        {
            ThrowIfFailed();
            if (_inputComplete) throw new InvalidOperationException("push after finish");
            _input.Write(input);
            _starved = false;
            Monitor.PulseAll(Gate);
        }
    }

    public override void Finish()
    {
        lock (Gate)
        {
            _inputComplete = true;
            Monitor.PulseAll(Gate);
            while (!_done) Monitor.Wait(Gate);
            ThrowIfFailed();
        }
    }

    public override int Pull(Span<byte> destination)
    {
        lock (Gate)
        {
            while (!_done && !_starved) Monitor.Wait(Gate);
            ThrowIfFailed();
            return Output.Drain(destination);
        }
    }

    public override int Pending
    {
        get
        {
            lock (Gate)
            {
                while (!_done && !_starved) Monitor.Wait(Gate);
                ThrowIfFailed();
                return Output.Count;
            }
        }
    }

    public override void Dispose()
    {
        lock (Gate)
        {
            _abandoned = _inputComplete = true;
            Monitor.PulseAll(Gate);
        }
        _worker.Join();
        lock (Gate)
        {
            Output.Clear();
            _input.Clear();
        }
        _wrapper.Dispose();
    }

    private void ThrowIfFailed()
    {
        if (_failure is not null) ExceptionDispatchInfo.Throw(_failure);
    }

    private void Run()
    {
        var buffer = new byte[64 * 1024];
        try
        {
            using var stream = new MessageDecryptStream(new Input(this), _options, leaveOpen: true);
            lock (Gate) _context = stream.EncryptionContext;
            using var content = ContentEncoding.DecodingReader(stream, stream.EncryptionContext);
            int n;
            while ((n = content.Read(buffer)) > 0)
            {
                lock (Gate) Output.Write(buffer.AsSpan(0, n));
            }
        }
        catch (Exception e)
        {
            lock (Gate)
            {
                _failure = e;
                Output.Clear(); // no plaintext after a failure
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
            lock (Gate)
            {
                _done = true;
                Monitor.PulseAll(Gate);
            }
        }
    }

    /// <summary>The worker's view of the pushed bytes: blocks until more arrive or input is complete.</summary>
    private sealed class Input(PushDecryptor owner) : ReadOnlyStream
    {
        public override int Read(Span<byte> destination)
        {
            lock (owner.Gate)
            {
                while (owner._input.Count == 0 && !owner._inputComplete)
                {
                    owner._starved = true;
                    Monitor.PulseAll(owner.Gate);
                    Monitor.Wait(owner.Gate);
                }
                if (owner._abandoned) throw new OperationCanceledException("stream freed");
                return owner._input.Drain(destination);
            }
        }

    }
}

/// <summary>Random access to the plaintext of a message in a seekable file. Reads are serialized.</summary>
internal sealed class NativeReader(FileStream file, IDisposable wrapper, IPlaintextReader reader) : IDisposable
{
    public long Length { get { lock (reader) return reader.PlaintextLength; } }
    public IReadOnlyDictionary<string, string> Context => reader.EncryptionContext;

    public int Read(long position, Span<byte> destination) { lock (reader) return reader.Read(position, destination); }

    public void Dispose()
    {
        lock (reader)
        {
            reader.Dispose();
            file.Dispose();
            wrapper.Dispose();
        }
    }
}
