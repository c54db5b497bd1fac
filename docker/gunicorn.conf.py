"""gunicorn settings for the service: ``gunicorn --config docker/gunicorn.conf.py service.wsgi:app``.

gunicorn runs this file in the master before any worker starts, so the service's configuration is
validated here once: a missing or malformed setting stops start-up with one message naming each
problem, without a traceback and without workers failing one after another.
"""

# gevent must patch the standard library before anything imports ssl, socket or threading: the
# service's modules imported below bring in boto3 and urllib3, whose SSL context otherwise
# recurses forever once the worker patches (gevent issue 1016). Patching here, in the master, is
# what the worker would do anyway; the master's own loop runs unchanged on the patched modules.
# gunicorn loads this file as the module "__config__"; a test that reads the settings does not
# patch its own process.
from gevent import monkey

if __name__ == "__config__":
    monkey.patch_all()

import ipaddress
import os

from service.config import ConfigError, Settings
from service.logs import JsonFormatter
from service.startup import exit_on_config_error

_problems = []


def _bind_host():
    # The address to listen on: all interfaces in a container (its own network namespace); the
    # local runtime, which has no namespace, publishes the port on loopback only.
    host = os.environ.get("BIND_HOST", "") or "0.0.0.0"  # noqa: S104
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        _problems.append(f"BIND_HOST {host!r} is not an IP address")
        return host


def _positive_int(var, default):
    text = os.environ.get(var, "")
    if not text:
        return default
    if text.isascii() and text.isdigit() and int(text) > 0:
        return int(text)
    _problems.append(f"{var} {text!r} is not a positive whole number")
    return default


_settings = None
try:
    _settings = Settings.from_env(os.environ)
except ConfigError as _error:
    _problems.extend(_error.problems)

# gevent workers (service.httpworker): a connection costs a greenlet, not a thread, so slow clients
# and requests waiting on a hung AWS cannot take every slot and starve /healthz. The worker also
# answers requests gunicorn rejects with the JSON error document. Monkey patching happens in the
# worker before the app loads, so boto3/urllib3 sockets and the service's threads are cooperative.
worker_class = "service.httpworker.JsonErrorWorker"
workers = _positive_int("WEB_CONCURRENCY", 2)
# Connections per worker; AWS-backed requests among them are capped lower (AWS_REQUEST_LIMIT).
worker_connections = _positive_int("WORKER_CONNECTIONS", 1000)
_host = _bind_host()

if _problems:
    exit_on_config_error(ConfigError(_problems))

bind = [f"[{_host}]:{_settings.port}" if ":" in _host else f"{_host}:{_settings.port}"]

# Above the longest request (a confirm with a 20 s long poll against a hung AWS, about 51 s), so
# a worker is never killed for a request the AWS deadlines will end anyway. (A gevent worker's
# heartbeat runs beside its requests; this bounds a worker whose loop is blocked.)
timeout = 60
# Above a 20 s long poll's bound (wait + 3 s read margin + 1 s connect) and below the task
# definition's stopTimeout (30 s): in-flight requests finish before ECS sends SIGKILL. A test
# checks both bounds against the rendered task definition.
graceful_timeout = 25
# Longer than a load balancer's idle timeout (60 s by default), so it closes connections first.
keepalive = 75

# No gunicornc control socket: nothing uses it, and the container's root filesystem is read-only.
control_socket_disable = True

# The heartbeat file lives in memory; /dev/shm is absent on some systems (macOS).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108

# The app logs one JSON line per request (path, never the query string); gunicorn's own access log
# would duplicate it and carry the query string.
accesslog = None
errorlog = "-"
loglevel = "info"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": JsonFormatter}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stdout",
        }
    },
    "root": {"level": "INFO", "handlers": ["stdout"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
        # botocore logs every endpoint lookup at INFO; only its warnings belong in the service log.
        "botocore": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
    },
}
