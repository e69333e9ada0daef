"""Flask self-service UI for Ory Kratos."""

from __future__ import annotations

from pathlib import Path

from dotenv import load_dotenv
from flask import Flask, g

from .config import ConfigError, Settings  # noqa: F401 - re-exported for the entry point
from .kratos import KratosClient

ROOT = Path(__file__).resolve().parent.parent


def create_app(settings: Settings | None = None) -> Flask:
    if settings is None:
        load_dotenv(ROOT / ".env")
        settings = Settings.from_env()
    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"))
    app.config["SETTINGS"] = settings
    from .security import content_security_policy

    app.config["CSP"] = content_security_policy(settings)
    if settings.trusted_proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)
    app.extensions["kratos"] = KratosClient(settings.kratos_public_url, settings.kratos_admin_url,
                                            settings.kratos_timeout)

    from . import auth, flows, limits, pages, security, sessions, templating

    # First: an oversized body is refused before it costs anything.
    limits.init_app(app)
    # Before the session hook: a refused cross-site POST costs Kratos nothing.
    app.before_request(security.reject_cross_site_post)
    app.register_blueprint(auth.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(flows.bp)
    app.register_blueprint(sessions.bp)
    pages.register_error_handlers(app)
    templating.register(app)

    @app.after_request
    def finish(response):
        # Kratos's cookies (session, CSRF, continuity) reach the browser only this way.
        for cookie in g.pop("kratos_set_cookies", []):
            response.headers.add("Set-Cookie", cookie)
        return security.apply_security_headers(response)

    return app
