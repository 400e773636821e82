"""A recording TCP relay for GIOP traffic (a test instrument, not product code).

Placed between two real Tango peers it forwards bytes unchanged and records
every whole GIOP message it sees, in the line format of the shared captures:
``<C2S|S2C> <conn> <unix time> <hex>``.  Messages are cut at GIOP header
boundaries (the 12-octet header carries the size), so Fragment messages are
recorded as they travel.
"""

from __future__ import annotations

import socket
import struct
import threading
import time


class GiopRelay:
    def __init__(self, listen_port: int, target: tuple[str, int]) -> None:
        self.target = target
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self._conn_ids = 0
        self._sockets: list[socket.socket] = []
        self._server = socket.socket()
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", listen_port))
        self._server.listen(16)
        self._closed = False
        threading.Thread(target=self._accept, daemon=True, name="giop-relay").start()

    def close(self) -> None:
        self._closed = True
        for s in [self._server, *self._sockets]:
            try:
                s.close()
            except OSError:
                pass

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            self._sockets += [client, upstream]
            with self._lock:
                self._conn_ids += 1
                conn = self._conn_ids
            threading.Thread(target=self._pump, args=(client, upstream, "C2S", conn), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, "S2C", conn), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, direction: str, conn: int) -> None:
        buf = bytearray()
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if not data:
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return
            try:
                dst.sendall(data)
            except OSError:
                return
            buf += data
            while len(buf) >= 12:
                fmt = "<I" if buf[6] & 1 else ">I"
                total = 12 + struct.unpack_from(fmt, buf, 8)[0]
                if len(buf) < total:
                    break
                with self._lock:
                    self.lines.append(f"{direction} {conn} {time.time()} {bytes(buf[:total]).hex()}")
                del buf[:total]

    def text(self) -> str:
        with self._lock:
            return "\n".join(self.lines) + "\n"
