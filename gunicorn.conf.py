"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py 'bot:create_app()'`.

Access lines carry the path only (`%(U)s`), never the query string: WeChat puts signatures and the openid there.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '5000')}")
workers = int(os.environ.get("GUNICORN_WORKERS", str(min(4, multiprocessing.cpu_count() * 2))))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
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
