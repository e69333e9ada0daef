"""The WSGI entry point for gunicorn (see gunicorn.conf.py)."""

import sys

from . import ConfigError, create_app

try:
    app = create_app()
except ConfigError as exc:
    print(f"configuration error: {exc}", file=sys.stderr)
    sys.exit(2)
