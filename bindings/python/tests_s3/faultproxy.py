"""A TCP proxy in front of the real Swift s3api server that fails the requests a test picks.

It answers ``500 InternalError`` itself, or resets the connection, for requests whose request line a
rule picks; every other request reaches Swift byte for byte (the Host header stays, so SigV4
signatures still verify). Requests with chunked bodies are not expected (boto3 sends Content-Length).
"""
import re
import socket
import struct
import threading

NONE, SERVER_ERROR, DROP = "none", "500", "drop"
_ERROR = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>injected</Message></Error>')


def fail_part(part_number, times, fault):
    """A rule failing the first ``times`` uploads of part ``part_number`` (of any multipart upload)."""
    seen = [0]
    lock = threading.Lock()

    def rule(line):
        if line.startswith("PUT ") and re.search(rf"[?&]partNumber={part_number}[& ]", line):
            with lock:
                seen[0] += 1
                return fault if seen[0] <= times else NONE
        return NONE
    return rule


class FaultProxy:
    def __init__(self, target_port, rule):
        self.target_port, self.rule, self.seen = target_port, rule, []
        self._server = socket.create_server(("127.0.0.1", 0))
        self.endpoint = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        upstream = socket.create_connection(("127.0.0.1", self.target_port))
        threading.Thread(target=_pipe, args=(upstream, client), daemon=True).start()
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    data = client.recv(65536)
                    if not data:
                        return
                    buf += data
                head, buf = buf.split(b"\r\n\r\n", 1)
                head += b"\r\n\r\n"
                line = head.split(b"\r\n", 1)[0].decode("latin-1")
                fault = self.rule(line)
                self.seen.append((line, fault))
                length = _content_length(head)
                if fault == DROP:
                    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))   # RST
                    return
                body, buf = _take(client, buf, length)
                if fault == SERVER_ERROR:
                    client.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/xml\r\n"
                                   + f"Content-Length: {len(_ERROR)}\r\nConnection: close\r\n\r\n".encode() + _ERROR)
                    return
                upstream.sendall(head + body)
        except OSError:
            pass
        finally:
            client.close()
            upstream.close()

    def close(self):
        self._server.close()


def _content_length(head):
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":", 1)[1])
    return 0


def _take(sock, buf, length):
    while len(buf) < length:
        data = sock.recv(1 << 20)
        if not data:
            raise OSError("client closed mid-body")
        buf += data
    return buf[:length], buf[length:]


def _pipe(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
