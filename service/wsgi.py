"""The WSGI entry point: ``gunicorn --config docker/gunicorn.conf.py service.wsgi:app``.

gunicorn's config validates the settings in the master before any worker starts; this check is for
other ways of serving the module, and exits with the same one message instead of a traceback.
"""

from service.app import create_app
from service.config import ConfigError
from service.startup import exit_on_config_error

try:
    app = create_app()
except ConfigError as error:
    exit_on_config_error(error)
