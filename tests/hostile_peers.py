"""Sockets that misbehave on purpose, for transport tests: a server that never answers, one that
answers every request with fixed (broken) bytes, a listener whose handshake never completes, one
that hangs up in the middle of a reply; and the loopback server they (and the tests' own) stand on."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator


def refused_port() -> int:
    """A loopback port with nobody listening (bound then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listen_on_loopback(backlog: int) -> socket.socket:
    """A TCP socket listening on a free loopback port (``sock.getsockname()[1]``)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(backlog)
    return sock


def received_chunks(conn: socket.socket) -> Iterator[bytes]:
    """What ``conn`` receives, chunk by chunk, until the peer closes it or it fails."""
    while True:
        try:
            data = conn.recv(65536)
        except OSError:
            return
        if not data:
            return
        yield data


class LoopbackServer:
    """A TCP server on a free loopback port (``port``): a daemon thread accepts connections and
    hands each to :meth:`handle`, one after the other, until :meth:`close`.  Accepting starts in
    ``__init__``: a subclass sets its own attributes before calling ``super().__init__()``."""

    def __init__(self, backlog: int = 4) -> None:
        self.sock = listen_on_loopback(backlog)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:  # closed
                return
            self.handle(conn)

    def handle(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.sock.close()


class SilentServer(LoopbackServer):
    """Accepts TCP connections, reads and discards everything, never answers."""

    def __init__(self) -> None:
        self.received = 0
        self.conns: list[socket.socket] = []
        super().__init__(backlog=16)

    def handle(self, conn: socket.socket) -> None:
        self.conns.append(conn)
        threading.Thread(target=self._drain, args=(conn,), daemon=True).start()

    def _drain(self, conn: socket.socket) -> None:
        for data in received_chunks(conn):
            self.received += len(data)

    def close(self) -> None:
        super().close()
        for c in self.conns:
            c.close()


class ScriptedServer(LoopbackServer):
    """Answers the first request of each connection with fixed bytes (a hostile or broken peer)."""

    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        super().__init__()

    def handle(self, conn: socket.socket) -> None:
        try:
            conn.recv(65536)
            conn.sendall(self.answer)
            time.sleep(0.5)
        finally:
            conn.close()


class StalledListener:
    """A listener whose backlog is full: connecting to it never completes the handshake."""

    def __init__(self) -> None:
        self.sock = listen_on_loopback(0)
        self.port = self.sock.getsockname()[1]
        self.fillers = []
        for _ in range(3):
            c = socket.socket()
            c.setblocking(False)
            try:
                c.connect(("127.0.0.1", self.port))
            except BlockingIOError:
                pass
            self.fillers.append(c)
        time.sleep(0.1)

    def close(self) -> None:
        for c in self.fillers:
            c.close()
        self.sock.close()


#: (answer, word in the error) of peers that break the connection
BROKEN_ANSWERS = [
    (b"GIOP\x01\x02\x01\x01\xff\xff\xff\x7f", "exceeds"),      # announces a 2 GiB reply
    (b"HTTP/1.1 400 Bad Request\r\n\r\n", "undecodable"),      # not GIOP at all
    (b"GIOP\x01\x02\x01\x06\x00\x00\x00\x00", "MessageError"),  # the peer rejects our request
]


class HangUpInTheMiddleOfAReply(LoopbackServer):
    """Takes two requests on its first connection, sends a third of the reply to the first one
    (a long octet sequence), then hangs up, as a server that crashes while answering.  Later
    connections get every request answered at once (the octets b"again") and counted: a client
    that re-sends the half-answered request would make the server run it twice."""

    def __init__(self) -> None:
        self.operations_again: list[str] = []
        self._hung_up = False
        super().__init__()

    @staticmethod
    def _requests(conn: socket.socket, giop, wanted: int) -> list:
        from tango_core.wire.connection import NEED_DATA
        got: list = []
        while len(got) < wanted:
            data = conn.recv(65536)
            if not data:
                break
            giop.receive_data(data)
            while (event := giop.next_event()) is not NEED_DATA:
                got.append(event)
        return got

    def handle(self, conn: socket.socket) -> None:
        if self._hung_up:
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()
        else:
            self._hung_up = True
            self._half_answer_and_hang_up(conn)

    def _half_answer_and_hang_up(self, first: socket.socket) -> None:
        from tango_core.wire.connection import GIOPConnection, Role
        with first:
            giop = GIOPConnection(Role.SERVER)
            half_answered = self._requests(first, giop, 2)[0]
            reply = giop.send_reply(half_answered, write_body=lambda w: w.write_octet_seq(bytes(300_000)))
            first.sendall(reply[:100_000])
            time.sleep(0.05)

    def _answer(self, conn: socket.socket) -> None:
        from tango_core.wire.connection import NEED_DATA, GIOPConnection, Role
        giop = GIOPConnection(Role.SERVER)
        with conn:
            for data in received_chunks(conn):
                giop.receive_data(data)
                while (event := giop.next_event()) is not NEED_DATA:
                    if not hasattr(event, "operation"):  # the client closed the connection
                        return
                    self.operations_again.append(event.operation)
                    conn.sendall(giop.send_reply(event, write_body=lambda w: w.write_octet_seq(b"again")))
