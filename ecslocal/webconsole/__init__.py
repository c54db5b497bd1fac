"""The demo console: a web page, served by the local runtime next to the task, that shows both roles
at work and lets a person do what the tour does. Loopback only; the API key or a one-time token."""

from ecslocal.webconsole.app import create_console_app
from ecslocal.webconsole.auth import ConsoleAuth

__all__ = ["ConsoleAuth", "create_console_app"]
