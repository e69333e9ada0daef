"""`python -m app [--host H] [--port P]`: the development server."""

import argparse
import logging
import sys

from werkzeug.serving import make_server

from . import ConfigError, create_app


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4455)
    args = parser.parse_args()
    try:
        app = create_app()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    # Werkzeug's own request line shows query strings and no request id; the app
    # writes the access line instead (app/logs.py), in the configured format.
    app.config["ACCESS_LOG"] = True
    server = make_server(args.host, args.port, app, threaded=True)
    logging.getLogger("app").info("development server on http://%s:%s", args.host, server.port)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
