"""A fake SNTP server on 127.0.0.1 for the clock checks: answers each request with the real time plus a chosen
offset, or stays silent, or answers with a chosen broken packet. Never touches the network."""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable

NTP_UNIX_DELTA = 2_208_988_800


def ntp_bytes(unix_seconds: float) -> bytes:
    seconds = int(unix_seconds)
    return struct.pack("!II", (seconds + NTP_UNIX_DELTA) % 2**32, int((unix_seconds - seconds) * 2**32))


def server_packet(request: bytes, transmit: float, *, stratum: int = 2, leap: int = 0, mode: int = 4) -> bytes:
    """An answer as a server builds it: the request's transmit time echoed as originate, receive = transmit."""
    head = bytes([(leap << 6) | (4 << 3) | mode, stratum, 6, 0xEC]) + bytes(8) + b"FAKE"
    return head + ntp_bytes(transmit) + request[40:48] + ntp_bytes(transmit) + ntp_bytes(transmit)


class FakeNtp:
    """`with FakeNtp(offset=600) as ntp:` serves at `ntp.address` ("127.0.0.1:PORT") until the block ends."""

    def __init__(
        self,
        offset: float = 0.0,
        *,
        silent: bool = False,
        answer: Callable[[bytes], bytes] | None = None,
    ) -> None:
        self.offset = offset
        self.silent = silent
        self.answer = answer
        self.requests: list[bytes] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.settimeout(0.05)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="fake-ntp", daemon=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def server(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def __enter__(self) -> FakeNtp:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                request, peer = self._sock.recvfrom(512)
            except TimeoutError:
                continue
            except OSError:
                return
            self.requests.append(request)
            if self.silent:
                continue
            packet = self.answer(request) if self.answer else server_packet(request, time.time() + self.offset)
            self._sock.sendto(packet, peer)


def closed_udp_port() -> int:
    """A loopback port nobody listens on (bound, read and closed at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
