"""Raw-socket WebSocket subscribers for the slow-consumer and soak runs (loopback only).

A `RawSubscriber` shrinks its receive buffer before connecting, does the HTTP upgrade, sends one masked text frame
(its subscribe message) and then reads only when the caller says so: a *stalled* subscriber is never read after the
101, so the server's frames pile up in its outbox, exactly as with a consumer that stopped reading.
`drain()` reads what is there without blocking, answers pings, and returns the close code once the server's close
frame arrived; `reset` tells a connection the server aborted (a dropped subscriber that had stopped reading).
"""
import base64
import os
import socket
import struct


def masked_frame(payload: bytes, opcode=0x1) -> bytes:
    mask = os.urandom(4)
    n = len(payload)
    head = bytes([0x80 | opcode]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack("!H", n))
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


class RawSubscriber:
    def __init__(self, port, path="/ws/solver", rcvbuf=4096):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(10)
        self.sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:  # read the 101 byte by byte: nothing after it is consumed
            chunk = self.sock.recv(1)
            if not chunk:
                raise ConnectionError("closed during the upgrade")
            head += chunk
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise ConnectionError(head.split(b"\r\n")[0].decode(errors="replace"))
        self.sock.setblocking(False)
        self.buffer = b""
        self.received_bytes = 0
        self.close_code = None
        self.close_reason = ""
        self.eof = False
        self.reset = False  # the server aborted the connection (TCP RST) instead of closing it

    def send_text(self, text: str):
        self.sock.setblocking(True)
        self.sock.sendall(masked_frame(text.encode()))
        self.sock.setblocking(False)

    def drain(self, max_bytes=1 << 30):
        """Reads up to max_bytes without blocking and parses the frames; returns the close code, if any."""
        read = 0
        while read < max_bytes and not self.eof:
            try:
                chunk = self.sock.recv(min(65536, max_bytes - read))
            except (BlockingIOError, InterruptedError):
                break
            except ConnectionError as error:
                self.eof = True
                self.reset = isinstance(error, ConnectionResetError)
                break
            if not chunk:
                self.eof = True
                break
            read += len(chunk)
            self.buffer += chunk
        self.received_bytes += read
        self._parse()
        return self.close_code

    def _parse(self):
        while len(self.buffer) >= 2:
            opcode, n, at = self.buffer[0] & 0x0F, self.buffer[1] & 0x7F, 2
            if n == 126:
                if len(self.buffer) < 4:
                    return
                n, at = struct.unpack("!H", self.buffer[2:4])[0], 4
            elif n == 127:
                if len(self.buffer) < 10:
                    return
                n, at = struct.unpack("!Q", self.buffer[2:10])[0], 10
            if len(self.buffer) < at + n:
                return
            payload, self.buffer = self.buffer[at:at + n], self.buffer[at + n:]
            if opcode == 0x9:  # the server's keep-alive ping: a reading client answers it (stalled ones never do)
                try:
                    self.sock.send(masked_frame(payload, opcode=0xA))
                except (BlockingIOError, ConnectionError):
                    pass
            elif opcode == 0x8 and len(payload) >= 2:
                self.close_code = struct.unpack("!H", payload[:2])[0]
                self.close_reason = payload[2:].decode(errors="replace")

    def close(self):
        self.sock.close()
