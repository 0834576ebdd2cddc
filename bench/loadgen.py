"""Open-loop load of WeChat safe-mode pushes against a running server, WeChat's retries, and the accounting after.

Shared by `make load` (bench/load.py), `make soak` (bench/soak.py) and the live tests (tests/live/test_load.py,
tests/live/test_faults.py). Everything is bounded: pushes are scheduled at a fixed rate for a fixed time (never
more than `rate * seconds`), each push is tried at most 1 + `retries` times, and waiting for answers stops after
`drain_seconds`. Traffic goes to the loopback URL given, nowhere else.

The mix is what a city account sees: citizens filing a complaint in four turns (text, "没有", "1", "确认" — each
turn sent only after the previous one was answered, as a person would), one-off texts, subscribe events, menu
clicks and template delivery reports. Pushes are built and signed with `bot.wechat.push_builder` exactly as WeChat does, and
the server's own parser computes each push's dedupe key, so the accounting compares like with like.

A push that gets no 200 within WeChat's 5 s (status ≠ 200, connection reset, timeout) is retried with the same
body, signature and nonce, as WeChat does; `lost` counts pushes still unanswered after every retry.
"""

from __future__ import annotations

import heapq
import http.client
import itertools
import json
import os
import queue
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.runtime import build_runtime  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from bot.wechat.push_builder import PushSigner  # noqa: E402
from bot.wechat.push_builder import message_xml  # noqa: E402
from bot.wechat.push_builder import next_msg_id  # noqa: E402
from bot.wechat.push_builder import reply_content  # noqa: E402
from storage.db import make_engine  # noqa: E402

BIN = Path(sys.executable).parent
WECHAT_TIMEOUT = 5.0  # WeChat drops the connection after 5 s and retries
COMPLAINTS = (
    "昨天上午我去不动产登记中心办房产证，3号窗口的工作人员态度特别差，对我大吼大叫，还让我跑了三趟",
    "昨天下午我去车管所换驾照，窗口工作人员一直玩手机不理人，让我等了两个小时",
    "前天上午在社保局办退休手续，工作人员推诿说不归他们管，让我跑了好几趟",
    "今天上午去市民之家办营业执照，窗口人员态度恶劣，材料齐全还说不行",
    "昨天在公安局户籍科办户口迁移，民警让我明天再来，已经来了三次了",
)
CASE_TURNS = ("{complaint}", "没有", "1", "确认")
CHATS = ("你好", "帮助", "我的反映", "查询 ZY2611010001")
# The slot pattern per 10 pushes: 4 complaint turns, 3 texts, 1 subscribe, 1 menu click, 1 delivery report.
PATTERN = ("case", "text", "case", "subscribe", "case", "text", "click", "case", "text", "template")


@dataclass
class Push:
    index: int
    kind: str
    key: str  # the server's dedupe key for this push (MsgId, or pseudonym|CreateTime|event|key)
    path: str
    body: bytes
    citizen: int | None = None  # the complaint sequence this turn belongs to
    turn: int = 0
    scheduled: float = 0.0
    attempts: int = 0
    statuses: list[int | str] = field(default_factory=list)
    service_ms: list[float] = field(default_factory=list)  # per attempt: request sent → answer
    end_to_end_ms: float | None = None  # first scheduled → first 200 (includes client queueing and retries)
    answered: bool = False
    reply: str | None = None


@dataclass
class LoadResult:
    rate: float
    seconds: float
    pushes: list[Push]
    elapsed: float
    started_sequences: int
    completed_sequences: int
    out_of_order: int  # complaint turns answered after a later turn was sent (must stay 0)

    @property
    def attempts(self) -> int:
        return sum(p.attempts for p in self.pushes)

    @property
    def first_attempt_failures(self) -> int:
        return sum(1 for p in self.pushes if p.statuses and p.statuses[0] != 200)

    @property
    def lost(self) -> int:
        return sum(1 for p in self.pushes if not p.answered)

    @property
    def late(self) -> int:
        """Answered with 200, but only after WeChat's 5 s (so WeChat would already have retried)."""
        return sum(1 for p in self.pushes if p.answered and p.end_to_end_ms is not None and p.end_to_end_ms > 5000)

    def statuses(self) -> Counter[int | str]:
        return Counter(s for p in self.pushes for s in p.statuses)

    def percentiles(self, which: str = "service") -> dict[str, float]:
        if which == "service":
            values = [ms for p in self.pushes for ms, s in zip(p.service_ms, p.statuses, strict=False) if s == 200]
        else:
            values = [p.end_to_end_ms for p in self.pushes if p.end_to_end_ms is not None]
        if len(values) < 3:
            return {"p50": 0.0, "p90": 0.0, "p99": 0.0, "max": max(values, default=0.0)}
        q = statistics.quantiles(values, n=100)
        return {"p50": q[49], "p90": q[89], "p99": q[98], "max": max(values)}

    def summary(self) -> dict[str, Any]:
        return {
            "target_rate": self.rate,
            "seconds": self.seconds,
            "pushes": len(self.pushes),
            "achieved_rate": round(len(self.pushes) / self.elapsed, 1) if self.elapsed else 0.0,
            "attempts": self.attempts,
            "first_attempt_failures": self.first_attempt_failures,
            "late_over_5s": self.late,
            "lost": self.lost,
            "statuses": {str(k): v for k, v in self.statuses().items()},
            "service_ms": {k: round(v, 1) for k, v in self.percentiles("service").items()},
            "end_to_end_ms": {k: round(v, 1) for k, v in self.percentiles("end_to_end").items()},
            "sequences_started": self.started_sequences,
            "sequences_completed": self.completed_sequences,
            "out_of_order_turns": self.out_of_order,
        }


class PushFactory:
    """Builds signed pushes for one run; openids carry a run id so runs never collide in a shared database."""

    def __init__(self, env: dict[str, str], run_id: str | None = None) -> None:
        self.env = env
        self.run = run_id or uuid.uuid4().hex[:8]
        self.signer = PushSigner(token=env["WECHAT_TOKEN"], aes_key=env["WECHAT_AES_KEY"], app_id=env["WECHAT_APP_ID"])
        # The server's own parser and pseudonym: the dedupe key is computed exactly as the server will.
        self._rt = build_runtime(load_settings(env, env_file=None))
        self._lock = threading.Lock()

    def close(self) -> None:
        self._rt.db.dispose()

    def build(self, index: int, kind: str, *, citizen: int | None = None, turn: int = 0) -> Push:
        now = int(time.time())
        run = self.run
        if kind == "case":
            assert citizen is not None
            text = CASE_TURNS[turn].format(complaint=COMPLAINTS[citizen % len(COMPLAINTS)])
            xml = message_xml(
                "text", sender=f"o{run}case{citizen}", create_time=now, msg_id=next_msg_id(), Content=text
            )
        elif kind == "text":
            xml = message_xml("text", sender=f"o{run}chat{index % 300}", create_time=now, msg_id=next_msg_id(),
                              Content=CHATS[index % len(CHATS)])  # fmt: skip
        elif kind == "subscribe":
            xml = message_xml("event", sender=f"o{run}sub{index}", create_time=now, Event="subscribe")
        elif kind == "click":
            xml = message_xml("event", sender=f"o{run}click{index}", create_time=now, Event="CLICK", EventKey="HELP")
        elif kind == "template":
            xml = message_xml("event", sender=f"o{run}tpl{index}", create_time=now, Event="TEMPLATESENDJOBFINISH",
                              MsgID=next_msg_id(), Status="success")  # fmt: skip
        else:
            raise ValueError(kind)
        with self._lock:  # the runtime's parser is cheap; the lock keeps its cached properties simple
            key = self._rt.protocol.parse(xml, self._rt.pseudonymize, time.time()).key
        signed = self.signer.sign(xml, timestamp=now)
        return Push(index, kind, key, "/wechat?" + signed.query_string, signed.body, citizen, turn)

    def open_reply(self, body: str) -> str | None:
        return reply_content(self.signer.open_reply(body))


class _Connections:
    """One keep-alive HTTP connection per client thread.

    A connection idle for longer than `IDLE_SECONDS` is replaced before use: gunicorn closes idle keep-alive
    connections after 5 s (`keepalive`), and writing into one it just closed fails with a broken pipe that
    would be the client's artefact, not the server's failure.
    """

    IDLE_SECONDS = 2.0

    def __init__(self, base_url: str) -> None:
        u = urlparse(base_url)
        assert u.hostname in ("127.0.0.1", "localhost", "::1"), "load only ever targets loopback"
        self.host, self.port = u.hostname, u.port or 80
        self.local = threading.local()

    def get(self) -> http.client.HTTPConnection:
        conn = getattr(self.local, "conn", None)
        now = time.monotonic()
        if conn is not None and now - getattr(self.local, "used", now) > self.IDLE_SECONDS:
            self.reset()
            conn = None
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection(self.host, self.port, timeout=WECHAT_TIMEOUT)
        self.local.used = now
        return conn

    def reset(self) -> None:
        conn = getattr(self.local, "conn", None)
        if conn is not None:
            conn.close()
        self.local.conn = None


def run_load(
    base_url: str,
    factory: PushFactory,
    *,
    rate: float,
    seconds: float,
    concurrency: int = 64,
    retries: int = 3,
    retry_after: float = 1.0,
    think: float = 0.2,
    drain_seconds: float = 60.0,
    pattern: tuple[str, ...] = PATTERN,
    on_tick: Callable[[float, int, int], None] | None = None,
) -> LoadResult:
    """Send `rate` pushes/s for `seconds` (open loop), retry like WeChat, wait for answers; never unbounded.

    `retry_after` is shorter than WeChat's real spacing so a bounded run finishes; the semantics (same bytes,
    up to three more tries) are WeChat's. `on_tick(elapsed, in_flight, failed_attempts)` is called about every
    50 ms from the scheduling thread (fault injection hooks; keep it short); `failed_attempts` counts the tries
    so far that got anything but a 200.
    """
    total = int(rate * seconds)
    conns = _Connections(base_url)
    work: queue.Queue[Push | None] = queue.Queue()
    lock = threading.Lock()
    pushes: list[Push] = []
    retry_heap: list[tuple[float, int, Push]] = []
    ready: deque[tuple[float, int, int]] = deque()  # (ready_at, citizen, next turn)
    in_flight = 0
    failed_attempts = 0
    out_of_order = 0
    completed = 0
    citizens = itertools.count()
    started_sequences = 0
    t0 = time.monotonic()

    def attempt(push: Push) -> None:
        nonlocal in_flight, out_of_order, completed, failed_attempts
        conn = conns.get()
        sent = time.monotonic()
        status: int | str
        body = ""
        try:
            conn.request("POST", push.path, body=push.body, headers={"Content-Type": "text/xml"})
            resp = conn.getresponse()
            body = resp.read().decode("utf-8", "replace")
            status = resp.status
        except TimeoutError:
            status = "timeout"
            conns.reset()
        except (OSError, http.client.HTTPException) as exc:
            status = type(exc).__name__
            conns.reset()
        done = time.monotonic()
        with lock:
            push.attempts += 1
            push.statuses.append(status)
            push.service_ms.append((done - sent) * 1000)
            in_flight -= 1
            failed_attempts += status != 200
            if status == 200 and not push.answered:
                push.answered = True
                push.end_to_end_ms = (done - push.scheduled) * 1000
                if push.kind == "case":
                    if push.turn + 1 < len(CASE_TURNS):
                        ready.append((done + think, push.citizen or 0, push.turn + 1))
                    else:
                        push.reply = body
            elif status != 200 and not push.answered and push.attempts <= retries:
                heapq.heappush(retry_heap, (done + retry_after, push.index, push))

    def client() -> None:
        try:
            while True:
                item = work.get()
                if item is None:
                    return
                attempt(item)
        finally:
            conns.reset()  # each thread closes its own keep-alive connection

    threads = [threading.Thread(target=client, name=f"load-{i}", daemon=True) for i in range(concurrency)]
    for t in threads:
        t.start()

    def submit(push: Push) -> None:
        nonlocal in_flight
        with lock:
            in_flight += 1
        work.put(push)

    index = 0
    last_tick = 0.0
    stop_at = t0 + seconds
    hard_stop = stop_at + drain_seconds
    while True:
        now = time.monotonic()
        if on_tick is not None and now - last_tick >= 0.05:
            last_tick = now
            with lock:
                flying, failed = in_flight, failed_attempts
            on_tick(now - t0, flying, failed)
        # New pushes on the open-loop schedule.
        due = min(total, int((now - t0) * rate) + 1)
        while index < due and now < stop_at:
            kind = pattern[index % len(pattern)]
            citizen, turn = None, 0
            if kind == "case":
                with lock:
                    if ready and ready[0][0] <= now:
                        _, citizen, turn = ready.popleft()
                if citizen is None:
                    citizen = next(citizens)
                    started_sequences += 1
            push = factory.build(index, kind, citizen=citizen, turn=turn)
            push.scheduled = t0 + index / rate
            pushes.append(push)
            submit(push)
            index += 1
        # WeChat's retries of unanswered pushes.
        with lock:
            retry_now = []
            while retry_heap and retry_heap[0][0] <= now:
                retry_now.append(heapq.heappop(retry_heap)[2])
        for push in retry_now:
            submit(push)
        with lock:
            idle = in_flight == 0 and not retry_heap
        if (index >= total or now >= stop_at) and idle:
            break
        if now >= hard_stop:
            break
        time.sleep(0.002)
    while True:  # past the hard stop, pushes still queued are never sent (they count as lost, not as waited for)
        try:
            dropped = work.get_nowait()
        except queue.Empty:
            break
        if dropped is not None:
            with lock:
                in_flight -= 1
    for _ in threads:
        work.put(None)
    for t in threads:
        t.join(timeout=WECHAT_TIMEOUT + 1)
    # A sequence only counts once its last turn was answered with the case number.
    for p in pushes:
        if p.kind == "case" and p.turn == len(CASE_TURNS) - 1 and p.reply:
            try:
                completed += "工单号" in (factory.open_reply(p.reply) or "")
            except ValueError:
                pass
    by_citizen: dict[int, list[Push]] = {}
    for p in pushes:
        if p.kind == "case" and p.citizen is not None:
            by_citizen.setdefault(p.citizen, []).append(p)
    for turns in by_citizen.values():
        turns.sort(key=lambda p: p.turn)
        for a, b in itertools.pairwise(turns):
            # The next turn is only scheduled after the previous one's answer, so this is 0 by construction;
            # counted anyway, because an out-of-order dialog would make the case count meaningless.
            if b.turn != a.turn + 1:
                out_of_order += 1
    return LoadResult(rate, seconds, pushes, time.monotonic() - t0, started_sequences, completed, out_of_order)


# -- accounting --------------------------------------------------------------------------------------------


@dataclass
class Accounting:
    sent_keys: int
    recorded_keys: int
    missing: list[str]  # answered 200 but not in the ledger: must be empty
    unanswered_recorded: int  # never answered 200 but recorded anyway (processed, answer lost): fine
    by_outcome: dict[str, int]
    pending: int
    failed_without_dead_letter: int
    cases: int
    case_pushes_completed: int
    case_new_notices: int
    cases_with_notice: int
    assignments: int
    reconcile_exit: int
    reconcile: dict[str, Any]

    @property
    def ok(self) -> bool:
        return (
            not self.missing
            and self.pending == 0
            and self.failed_without_dead_letter == 0
            and self.reconcile_exit == 0
            and self.cases == self.case_pushes_completed
            and self.case_new_notices == self.assignments
            and self.cases_with_notice == self.cases
        )

    def summary(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["missing"] = len(self.missing)
        data["ok"] = self.ok
        return data


def account(
    database_url: str, env: dict[str, str], result: LoadResult, *, run_id: str, reconcile: bool = True
) -> Accounting:
    """Every push answered 200 has its ledger row; every ledger row is finished; cases and notices add up.

    Only this run's rows are counted (openids carry the run id, so pseudonyms are recomputed here), which lets
    several runs share one database.
    """
    rt = build_runtime(load_settings(env, env_file=None))
    try:
        sent = {p.key: p for p in result.pushes}
        engine = make_engine(database_url)
        try:
            with engine.connect() as conn:
                rows = dict(
                    conn.execute(
                        sa.text("SELECT msg_key, outcome FROM inbound_messages WHERE msg_key IN :keys").bindparams(
                            sa.bindparam("keys", expanding=True)
                        ),
                        {"keys": list(sent)},
                    ).all()
                )
                case_pseudonyms = sorted(
                    {rt.pseudonymize(f"o{run_id}case{p.citizen}") for p in result.pushes if p.kind == "case"}
                )
                scalar = conn.execute
                cases = _count(scalar, "SELECT count(*) FROM cases WHERE pseudonym IN :p", case_pseudonyms)
                notices = _count(scalar, "SELECT count(*) FROM outbox o JOIN cases c ON c.id = o.case_id "
                                 "WHERE o.purpose = 'case_new' AND c.pseudonym IN :p", case_pseudonyms)  # fmt: skip
                with_notice = _count(scalar, "SELECT count(DISTINCT o.case_id) FROM outbox o JOIN cases c ON "
                                     "c.id = o.case_id WHERE o.purpose = 'case_new' AND c.pseudonym IN :p",
                                     case_pseudonyms)  # fmt: skip
                assignments = _count(scalar, "SELECT count(*) FROM assignments a JOIN cases c ON c.id = a.case_id "
                                     "WHERE c.pseudonym IN :p", case_pseudonyms)  # fmt: skip
                failed_keys = [k for k, o in rows.items() if o == "failed"]
                dead = set()
                if failed_keys:
                    dead = {
                        r[0]
                        for r in conn.execute(
                            sa.text("SELECT msg_key FROM dead_letters WHERE msg_key IN :k").bindparams(
                                sa.bindparam("k", expanding=True)
                            ),
                            {"k": failed_keys},
                        )
                    }
        finally:
            engine.dispose()
    finally:
        rt.db.dispose()
    report: dict[str, Any] = {"skipped": True}
    code = 0
    if reconcile:  # the operator's command, in its own process, as an operator would run it
        proc = subprocess.run(
            [str(BIN / "flask"), "--app", "bot", "reconcile", "--json"],
            cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        code = proc.returncode
        try:
            report = json.loads(proc.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            report = {"error": (proc.stderr or proc.stdout)[-500:]}
    missing = [k for k, p in sent.items() if p.answered and k not in rows]
    return Accounting(
        sent_keys=len(sent),
        recorded_keys=len(rows),
        missing=missing,
        unanswered_recorded=sum(1 for k, p in sent.items() if not p.answered and k in rows),
        by_outcome=dict(Counter(rows.values())),
        pending=sum(1 for o in rows.values() if o == "pending"),
        failed_without_dead_letter=sum(1 for k in failed_keys if k not in dead),
        cases=cases,
        case_pushes_completed=result.completed_sequences,
        case_new_notices=notices,
        cases_with_notice=with_notice,
        assignments=assignments,
        reconcile_exit=code,
        reconcile=report,
    )


def _count(execute: Any, sql: str, values: list[str]) -> int:
    if not values:
        return 0
    stmt = sa.text(sql).bindparams(sa.bindparam("p", expanding=True))
    total = 0
    for i in range(0, len(values), 5000):  # keep IN lists of a sane size
        total += int(execute(stmt, {"p": values[i : i + 5000]}).scalar_one())
    return total


# -- process metrics (soak) ----------------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return sorted(int(p) for p in out)


def rss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def open_fds(pid: int) -> int | None:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except (FileNotFoundError, PermissionError):
        return None


def db_connections(pid: int, database_url: str) -> int | None:
    """PostgreSQL: this process's TCP sockets to the server's port; SQLite: its open handles on the db files."""
    try:
        links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
    except (FileNotFoundError, PermissionError):
        return None
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[-1]
        return sum(1 for link in links if link == path)
    port = urlparse(database_url.replace("+psycopg", "")).port or 5432
    inodes = {link[8:-1] for link in links if link.startswith("socket:[")}
    count = 0
    for table in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            parts = line.split()
            remote_port = int(parts[2].rsplit(":", 1)[1], 16)
            if remote_port == port and parts[9] in inodes and parts[3] == "01":  # ESTABLISHED
                count += 1
    return count
