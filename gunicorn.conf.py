"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py 'bot:create_app()'`.

Access lines carry the path only (`%(U)s`), never the query string: WeChat puts signatures and the openid there;
a signed survey link's token is cut from the path too (`bot.logs.RedactAccess`).
"""

import logging
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '5000')}")
workers = int(os.environ.get("GUNICORN_WORKERS", str(min(4, multiprocessing.cpu_count() * 2))))
# A webhook turn is mostly CPU (crypto, dialog, SQL building): more threads per worker mostly fight over the GIL.
# bench/webhook.py on 2 cores, same run: 2 threads gave the full turn 0.24-0.25x of the echo on PostgreSQL and a
# lower p99 than 4 threads (0.20-0.22x). With the database on another host (longer waits), raise it.
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
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
