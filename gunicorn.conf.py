"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py 'bot:create_app()'`.

Access lines carry the path only (`%(U)s`), never the query string: WeChat puts signatures and the openid there;
a signed survey link's token is cut from the path too (`bot.logs.RedactAccess`).
"""

import gc
import logging
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '5000')}")
workers = int(os.environ.get("GUNICORN_WORKERS", str(min(4, multiprocessing.cpu_count() * 2))))
# A webhook turn is mostly CPU (crypto, dialog, classification, SQL building): more threads per worker mostly fight
# over the GIL. On SQLite one thread: its writers queue on one lock, and a second thread of the worker holding it
# (classifying the next push) makes the holder wait for the GIL while every other push waits for the lock
# (bench/webhook.py --scenario first, 2 cores, alternating rounds: 1 thread 0.28-0.31x of the echo and p99 21-32 ms,
# 2 threads 0.27-0.29x and 26-41 ms). On PostgreSQL 2 threads: 0.24-0.25x against 0.20-0.22x with 4; 1 thread
# measured the same as 2. With the database on another host (longer waits), raise it.
_sqlite = os.environ.get("DATABASE_URL", "sqlite").startswith("sqlite")
threads = int(os.environ.get("GUNICORN_THREADS", "1" if _sqlite else "2"))
worker_class = "gthread"
preload_app = True  # config validated and the classifier loaded once, before forking
timeout = 30  # WeChat gives up after 5 s; a stuck worker is recycled
graceful_timeout = 20
keepalive = 5
max_requests = 20000
max_requests_jitter = 2000
limit_request_line = 4094
limit_request_fields = 50
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")


def when_ready(server):  # noqa: ANN001, ANN201 - gunicorn's hook signature
    from bot.logs import RedactAccess

    logging.getLogger("gunicorn.access").addFilter(RedactAccess())


def pre_fork(server, worker):  # noqa: ANN001, ANN201 - gunicorn's hook signature
    # The preloaded app (settings, the classifier's vocabularies, SQLAlchemy's metadata: ~190,000 objects) never
    # becomes garbage: frozen, the workers' full collections no longer walk it (one 122 ms pause every few thousand
    # turns, measured in-process, possibly while holding SQLite's writer lock), and it stays shared with the master
    # instead of being copied page by page as the collector writes to it (Python's gc.freeze documentation).
    gc.freeze()
