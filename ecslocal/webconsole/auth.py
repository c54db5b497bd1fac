"""Who may use the console: loopback Host names only, then the API key, a one-time token or the
session cookie the token was exchanged for."""

from __future__ import annotations

import hmac
import secrets
import threading

from service.auth import presented_keys

COOKIE = "console_session"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})


def _same(expected: str, presented: str) -> bool:
    return hmac.compare_digest(expected.encode("utf-8"), presented.encode("utf-8"))


def host_is_loopback(host_header: str, port: int) -> bool:
    """Whether ``Host`` names this console on a loopback name (refuses DNS rebinding)."""
    name, _, given_port = host_header.rpartition(":")
    return name.lower() in LOOPBACK_HOSTS and given_port == str(port)


class ConsoleAuth:
    """The API key, one single-use login token and the sessions it (or the key) opened."""

    def __init__(self, api_key: str) -> None:
        self._api_key = api_key
        self._token: str | None = secrets.token_urlsafe(24)
        self._sessions: set[str] = set()
        self._lock = threading.Lock()

    def login_token(self) -> str | None:
        """The one-time token for the printed URL (None once it has been used)."""
        return self._token

    def exchange(self, token: str | None = None, api_key: str | None = None) -> str | None:
        """A new session id for the unused token or the API key; None when neither is right."""
        with self._lock:
            if token and self._token and _same(self._token, token):
                self._token = None  # single use
            elif not (api_key and _same(self._api_key, api_key)):
                return None
            session = secrets.token_urlsafe(32)
            self._sessions.add(session)
            return session

    def allows(self, headers: object, cookie: str | None) -> bool:
        """Whether a request presents the API key or a live session cookie."""
        keys = presented_keys(headers)  # type: ignore[arg-type]
        if sum(_same(self._api_key, key) for key in keys):
            return True
        with self._lock:
            return bool(cookie) and any(_same(s, cookie or "") for s in self._sessions)
