"""Flask self-service UI for Ory Kratos."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from dotenv import load_dotenv
from flask import Flask
from werkzeug.wrappers import Response

from . import current
from .config import ConfigError, Settings
from .hydra import HydraClient
from .kratos import KratosClient
from .redirects import RedirectRule

__all__ = ["ConfigError", "Settings", "create_app"]

ROOT = Path(__file__).resolve().parent.parent
# The wheel carries templates/ and static/ inside the package (pyproject.toml maps them);
# in the source tree, an editable install included, they sit beside it.
ASSETS = Path(__file__).resolve().parent if (Path(__file__).parent / "templates").is_dir() else ROOT


def create_app(settings: Settings | None = None) -> Flask:
    if settings is None:
        load_dotenv(ROOT / ".env")
        settings = Settings.from_env()
    app = Flask(__name__, template_folder=str(ASSETS / "templates"), static_folder=None)
    from . import templating

    app.jinja_environment = templating.PageEnvironment
    # Every template kept in a plain dict: Jinja's default LRU takes a lock and reorders a deque
    # on each of a page's three lookups (the page, its base, its macros). The set is fixed and small.
    app.jinja_options = {**app.jinja_options, "cache_size": -1}
    app.config["SETTINGS"] = settings
    from . import assets, branding, deadline, logs

    assets.init_app(app, ASSETS / "static")  # /static/..., from memory and gzipped

    branding.init_app(app, settings)  # TEMPLATES_DIR before the built-in templates; /theme.css; `brand`

    deadline.init_app(app)  # the very first hook: arrival, when no proxy says when
    logs.init_app(app)  # next: every later hook's log lines carry the request id
    # Our own origin comes from UI_URL: a request for any other host gets 400.
    app.config["TRUSTED_HOSTS"] = [urlsplit(settings.ui_url).hostname]
    from .security import content_security_policy

    app.extensions["redirects"] = rule = RedirectRule(settings)
    app.config["CSP"] = content_security_policy(settings, rule)
    if settings.trusted_proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)  # type: ignore[method-assign]
    app.extensions["kratos"] = KratosClient(
        settings.kratos_public_url, settings.kratos_admin_url, settings.kratos_timeout
    )
    if settings.hydra_admin_url:
        app.extensions["hydra"] = HydraClient(settings.hydra_admin_url, settings.kratos_timeout)

    from . import auth, errors, flows, health, i18n, limits, oauth2, pages, security, sessions

    # Before the session hook: a refused host, oversized body or cross-site POST costs Kratos nothing.
    app.before_request(security.reject_untrusted_host)
    limits.init_app(app)
    app.before_request(security.reject_cross_site_post)
    app.register_blueprint(auth.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(flows.bp)
    app.register_blueprint(sessions.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(oauth2.bp)
    errors.register_error_handlers(app)
    templating.register(app)
    i18n.init_app(app)  # the page's language, the switcher, `when` and `kratos_text`

    @app.after_request
    def finish(response: Response) -> Response:
        # Kratos's cookies (session, CSRF, continuity) reach the browser only this way.
        found = current.g().get("browser")
        if found is not None:
            for cookie in found.set_cookies:
                response.headers.add("Set-Cookie", cookie)
        return security.apply_security_headers(response)

    return app
