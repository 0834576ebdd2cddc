"""WeChat's push server addresses (`getcallbackip`), kept per process and refreshed off the request path, so the
webhook can flag a push that arrives from anywhere else (RELIABILITY 27).

Flag, never refuse: the signature authenticates a push; the address is defence in depth (a leaked token used from
another host shows up in the security log). Until the list is known — no credentials, WeChat unreachable, the
check switched off — nothing is flagged. Each process asks WeChat at most once a day (every ten minutes while it
keeps failing), in a daemon thread, so a slow or failing API never delays an answer to WeChat.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from collections.abc import Callable
from collections.abc import Iterable
from datetime import datetime
from datetime import timedelta

log = logging.getLogger("zhiyong.security")

REFRESH_EVERY = timedelta(hours=24)
RETRY_AFTER = timedelta(minutes=10)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Iterable[str]) -> list[Network]:
    """Addresses (or CIDR blocks) as networks; entries that are neither are skipped."""
    nets: list[Network] = []
    for entry in entries:
        try:
            nets.append(ipaddress.ip_network(str(entry).strip(), strict=False))
        except ValueError:
            log.warning("getcallbackip returned an entry that is not an address; skipped")
    return nets


def listed(address: str, nets: list[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in net for net in nets if net.version == ip.version)


class CallbackIps:
    """The current list and its refresh; `check(address)` is what the webhook calls."""

    def __init__(self, fetch: Callable[[], list[str]], clock: Callable[[], datetime]) -> None:
        self._fetch = fetch
        self._clock = clock
        self._lock = threading.Lock()
        self._nets: list[Network] | None = None
        self._fetched_at: datetime | None = None
        self._attempted_at: datetime | None = None
        self._running = False

    def check(self, address: str | None) -> bool | None:
        """True when the address is WeChat's, False when it is not, None while the list is unknown."""
        self._refresh_if_due()
        nets = self._nets
        if nets is None or not address:
            return None
        return listed(address, nets)

    def refresh_now(self) -> bool:
        """Fetch the list in this thread (operators, tests); True on success."""
        with self._lock:
            if self._running:
                return False
            self._running = True
            self._attempted_at = self._clock()
        return self._run()

    def _refresh_if_due(self) -> None:
        now = self._clock()
        with self._lock:
            if self._running:
                return
            if self._fetched_at is not None and now - self._fetched_at < REFRESH_EVERY:
                return
            if self._attempted_at is not None and now - self._attempted_at < RETRY_AFTER:
                return
            self._running = True
            self._attempted_at = now
        threading.Thread(target=self._run, name="callback-ips", daemon=True).start()

    def _run(self) -> bool:
        try:
            nets = parse_networks(self._fetch())
        except Exception as exc:  # noqa: BLE001 - any failure only postpones the next try; never reaches a request
            log.info(
                "getcallbackip unavailable (%s); pushes are not checked by address until it is", type(exc).__name__
            )
            ok = False
        else:
            ok = bool(nets)
            if ok:
                self._nets, self._fetched_at = nets, self._clock()
        finally:
            with self._lock:
                self._running = False
        return ok
