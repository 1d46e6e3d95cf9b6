"""A minimal RESP client (one command per connection) so the cluster tests need nothing beyond the stdlib."""
import socket


def _encode(args):
    out = [f"*{len(args)}\r\n".encode()]
    for a in args:
        b = a if isinstance(a, bytes) else str(a).encode()
        out.append(f"${len(b)}\r\n".encode() + b + b"\r\n")
    return b"".join(out)


def _read(f):
    line = f.readline()
    if not line:
        raise OSError("connection closed")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise RuntimeError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)[:-2]
        return data
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [_read(f) for _ in range(n)]
    raise RuntimeError(f"bad reply {line!r}")


def command(port, *args, timeout=5, auth=()):
    """One command; `auth`: the AUTH arguments to send first ((password,) or (user, password))."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        with s.makefile("rb") as f:
            if auth:
                s.sendall(_encode(("AUTH", *auth)))
                _read(f)
            s.sendall(_encode(args))
            return _read(f)
