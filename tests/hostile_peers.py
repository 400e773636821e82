"""Sockets that misbehave on purpose, for transport tests: a server that never answers, one that
answers every request with fixed (broken) bytes, and a listener whose handshake never completes."""

from __future__ import annotations

import socket
import threading
import time


def refused_port() -> int:
    """A loopback port with nobody listening (bound then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SilentServer:
    """Accepts TCP connections, reads and discards everything, never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.received = 0
        self.conns: list[socket.socket] = []
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            threading.Thread(target=self._drain, args=(conn,), daemon=True).start()

    def _drain(self, conn: socket.socket) -> None:
        while True:
            try:
                data = conn.recv(65536)
            except OSError:
                return
            if not data:
                return
            self.received += len(data)

    def close(self) -> None:
        self._stop = True
        self.sock.close()
        for c in self.conns:
            c.close()


class ScriptedServer:
    """Answers the first request of each connection with fixed bytes (a hostile or broken peer)."""

    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            try:
                conn.recv(65536)
                conn.sendall(self.answer)
                time.sleep(0.5)
            finally:
                conn.close()

    def close(self) -> None:
        self.sock.close()


class StalledListener:
    """A listener whose backlog is full: connecting to it never completes the handshake."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(0)
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


class HangUpInTheMiddleOfAReply:
    """Takes two requests on its first connection, sends a third of the reply to the first one
    (a long octet sequence), then hangs up, as a server that crashes while answering.  Later
    connections get every request answered at once (the octets b"again") and counted: a client
    that re-sends the half-answered request would make the server run it twice."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.operations_again: list[str] = []
        threading.Thread(target=self._serve, daemon=True).start()

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

    def _serve(self) -> None:
        from tango_core.wire.connection import GIOPConnection, Role
        try:
            first, _ = self.sock.accept()
        except OSError:
            return
        with first:
            giop = GIOPConnection(Role.SERVER)
            half_answered = self._requests(first, giop, 2)[0]
            reply = giop.send_reply(half_answered, write_body=lambda w: w.write_octet_seq(bytes(300_000)))
            first.sendall(reply[:100_000])
            time.sleep(0.05)
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        from tango_core.wire.connection import NEED_DATA, GIOPConnection, Role
        giop = GIOPConnection(Role.SERVER)
        with conn:
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                giop.receive_data(data)
                while (event := giop.next_event()) is not NEED_DATA:
                    if not hasattr(event, "operation"):  # the client closed the connection
                        return
                    self.operations_again.append(event.operation)
                    conn.sendall(giop.send_reply(event, write_body=lambda w: w.write_octet_seq(b"again")))

    def close(self) -> None:
        self.sock.close()
