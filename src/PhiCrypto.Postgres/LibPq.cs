// libpq's synchronous API (PostgreSQL docs, chapter 34 "libpq - C Library": PQconnectdb, PQexecParams,
// PQresultErrorField). Why libpq and not a managed driver: its blocking calls poll the socket on the
// calling thread, so a process forked from a parent that used the store (gunicorn --preload, Celery
// prefork, multiprocessing 'fork') can still talk to PostgreSQL; managed drivers wait on the runtime's
// epoll and thread-pool threads, which fork does not copy. libpq.so.5 is Debian's libpq5, loaded on
// first use (no build-time link). One connection per call, never shared: nothing crosses a fork.
// Limits: parameters go as text, byte[] as binary; results come back binary (bytea, text, int8 only).
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace PhiCrypto.Postgres;

/// <summary>An error reported by the server or by libpq; <see cref="SqlState"/> is null for connection failures.</summary>
internal sealed class PgException(string message, string? sqlState, string? constraint) : Exception(message)
{
    public const string UniqueViolation = "23505";
    public const string SerializationFailure = "40001";
    public string? SqlState { get; } = sqlState;
    public string? ConstraintName { get; } = constraint;
}

/// <summary>One libpq connection, owned by one thread for one unit of work.</summary>
internal sealed unsafe partial class PgConnection : IDisposable
{
    private const string Library = "libpq.so.5";
    private nint _conn;

    private PgConnection(nint conn) => _conn = conn;

    public static PgConnection Open(string conninfo)
    {
        nint conn;
        try { conn = PQconnectdb(conninfo); }
        catch (DllNotFoundException) { throw new PgException("libpq.so.5 is not installed (Debian package libpq5)", null, null); }
        if (conn == 0) throw new PgException("libpq could not allocate a connection", null, null);
        var pg = new PgConnection(conn);
        if (PQstatus(conn) != 0) // CONNECTION_OK
        {
            var message = Text(PQerrorMessage(conn));
            pg.Dispose();
            throw new PgException(message, null, null);
        }
        return pg;
    }

    /// <summary>Runs <paramref name="sql"/> with $1.. bound to <paramref name="args"/> (null, byte[], string, long, int).</summary>
    public PgResult Exec(string sql, params object?[] args)
    {
        int n = args.Length;
        var values = new byte[]?[n];
        var lengths = new int[n];
        var formats = new int[n];
        for (int i = 0; i < n; i++)
        {
            values[i] = args[i] switch
            {
                null or DBNull => null,
                byte[] b => b,
                string s => Encoding.UTF8.GetBytes(s + "\0"),
                IFormattable f => Encoding.UTF8.GetBytes(f.ToString(null, System.Globalization.CultureInfo.InvariantCulture) + "\0"),
                var other => throw new ArgumentException($"unsupported parameter type {other.GetType().Name}"),
            };
            formats[i] = args[i] is byte[] ? 1 : 0;
            lengths[i] = values[i]?.Length ?? 0;
        }
        var handles = new GCHandle[n];
        var pointers = new nint[n];
        try
        {
            for (int i = 0; i < n; i++)
                if (values[i] is { } v) { handles[i] = GCHandle.Alloc(v, GCHandleType.Pinned); pointers[i] = handles[i].AddrOfPinnedObject(); }
            fixed (nint* p = pointers)
            fixed (int* l = lengths, f = formats)
                return Check(PQexecParams(_conn, sql, n, 0, n == 0 ? null : p, n == 0 ? null : l, n == 0 ? null : f, 1));
        }
        finally
        {
            foreach (var h in handles) if (h.IsAllocated) h.Free();
        }
    }

    private PgResult Check(nint result)
    {
        if (result == 0) throw new PgException(Text(PQerrorMessage(_conn)), null, null);
        int status = PQresultStatus(result);
        if (status is 1 or 2) return new PgResult(result); // PGRES_COMMAND_OK, PGRES_TUPLES_OK
        var error = new PgException(Text(PQresultErrorMessage(result)), Field(result, 'C'), Field(result, 'n'));
        PQclear(result);
        throw error;
    }

    private static string? Field(nint result, char code) => PQresultErrorField(result, code) is var p and not 0 ? Text(p) : null;

    internal static string Text(nint p) => (Marshal.PtrToStringUTF8(p) ?? "").Trim();

    /// <summary>Closing the connection rolls back any open transaction on the server.</summary>
    public void Dispose()
    {
        if (_conn != 0) PQfinish(_conn);
        _conn = 0;
    }

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] private static partial nint PQconnectdb(string conninfo);
    [LibraryImport(Library)] private static partial int PQstatus(nint conn);
    [LibraryImport(Library)] private static partial nint PQerrorMessage(nint conn);
    [LibraryImport(Library)] private static partial void PQfinish(nint conn);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint PQexecParams(nint conn, string command, int nParams, nint paramTypes, nint* paramValues, int* paramLengths, int* paramFormats, int resultFormat);
    [LibraryImport(Library)] private static partial int PQresultStatus(nint result);
    [LibraryImport(Library)] private static partial nint PQresultErrorMessage(nint result);
    [LibraryImport(Library)] private static partial nint PQresultErrorField(nint result, int fieldCode);
    [LibraryImport(Library)] internal static partial int PQntuples(nint result);
    [LibraryImport(Library)] internal static partial int PQgetisnull(nint result, int row, int column);
    [LibraryImport(Library)] internal static partial int PQgetlength(nint result, int row, int column);
    [LibraryImport(Library)] internal static partial nint PQgetvalue(nint result, int row, int column);
    [LibraryImport(Library)] internal static partial nint PQcmdTuples(nint result);
    [LibraryImport(Library)] internal static partial void PQclear(nint result);
}

/// <summary>A result in binary format: bytea and text as bytes, int8 as 8 big-endian bytes.</summary>
internal sealed unsafe class PgResult(nint result) : IDisposable
{
    private nint _result = result;

    public int Rows => PgConnection.PQntuples(_result);

    /// <summary>Rows changed by INSERT/UPDATE/DELETE.</summary>
    public int Affected => int.TryParse(PgConnection.Text(PgConnection.PQcmdTuples(_result)), out int n) ? n : 0;

    public ReadOnlySpan<byte> Bytes(int row, int column) =>
        PgConnection.PQgetisnull(_result, row, column) != 0
            ? throw new PgException($"unexpected NULL in column {column}", null, null)
            : new((void*)PgConnection.PQgetvalue(_result, row, column), PgConnection.PQgetlength(_result, row, column));

    public string Text(int row, int column) => Encoding.UTF8.GetString(Bytes(row, column));

    public long Int64(int row, int column) => BinaryPrimitives.ReadInt64BigEndian(Bytes(row, column));

    public void Dispose()
    {
        if (_result != 0) PgConnection.PQclear(_result);
        _result = 0;
    }
}
