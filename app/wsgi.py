"""The WSGI entry point of the production server (app/serve.py)."""

import sys

from . import ConfigError, create_app

try:
    app = create_app()
except ConfigError as exc:
    print(f"configuration error: {exc}", file=sys.stderr)
    sys.exit(2)
# The access line is the app's own (app/logs.py): the path without its query, the request id.
app.config["ACCESS_LOG"] = True
