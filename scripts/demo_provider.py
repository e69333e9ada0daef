"""A "social" OpenID Connect provider for the tests and `DEMO_PROVIDER=1 make dev` (dev tooling and
test support, not product): a second Hydra, and its login-and-consent app, a small WSGI server in a
thread that accepts that Hydra's login and consent challenges through its admin API. In the tests
it signs in whoever `sign_in_as` named; in `make dev` it asks for an email address (no password:
anyone may be anyone, which is why it is labelled as a demo and is never part of the UI)."""

from __future__ import annotations

import base64
import html
import secrets
import threading
from dataclasses import dataclass, field
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIServer, make_server

import requests

from demo_app import QuietHandler
from stack import Hydra, free_port

# Kratos's claims mapper: the provider's verified email becomes the identity's email trait.
JSONNET = "local claims = std.extVar('claims');\n{ identity: { traits: { email: claims.email } } }\n"
PROVIDER_ID = "upstream"
PROVIDER_LABEL = "Upstream"
# The subject at the provider is the email with this prefix, so consent knows the email again.
SUBJECT_PREFIX = "upstream-"

ASK_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Demo provider</title></head>
<body><h1>Demo provider (development only)</h1>
<p>This stands in for a social sign-in provider. There is no password: type any email address.</p>
<form method="post" action="/login?login_challenge={challenge}">
<label>Email <input type="email" name="email" required></label> <button type="submit">Sign in</button>
</form></body></html>"""


@dataclass
class UpstreamApp:
    """Accepts every login and consent challenge of `hydra_admin_url`, for `email`."""

    port: int = field(default_factory=free_port)
    hydra_admin_url: str = ""
    # The email the next sign-in is for (tests); None: ask for one (make dev).
    email: str | None = "upstream@example.com"

    server: WSGIServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __call__(self, environ, start_response):
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        path = environ.get("PATH_INFO", "")
        requests_url = f"{self.hydra_admin_url}/admin/oauth2/auth/requests"
        if path == "/login" and "login_challenge" in query:
            email = self.email
            if email is None and environ["REQUEST_METHOD"] == "POST":
                size = int(environ.get("CONTENT_LENGTH") or 0)
                email = (parse_qs(environ["wsgi.input"].read(size).decode()).get("email") or [""])[0].strip()
            if not email:
                start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
                return [ASK_PAGE.format(challenge=html.escape(query["login_challenge"], quote=True)).encode()]
            answer = requests.put(
                f"{requests_url}/login/accept",
                params={"login_challenge": query["login_challenge"]},
                json={"subject": SUBJECT_PREFIX + email},
                timeout=10,
            )
        elif path == "/consent" and "consent_challenge" in query:
            challenge = query["consent_challenge"]
            asked = requests.get(f"{requests_url}/consent", params={"consent_challenge": challenge}, timeout=10).json()
            email = str(asked.get("subject", "")).removeprefix(SUBJECT_PREFIX)
            answer = requests.put(
                f"{requests_url}/consent/accept",
                params={"consent_challenge": challenge},
                json={
                    "grant_scope": asked["requested_scope"],
                    "session": {"id_token": {"email": email, "email_verified": True}},
                },
                timeout=10,
            )
        else:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not here"]
        if answer.status_code != 200:
            start_response("502 Bad Gateway", [("Content-Type", "text/plain")])
            return [b"the provider's Hydra refused"]
        start_response("302 Found", [("Location", answer.json()["redirect_to"])])
        return [b""]

    def start(self) -> UpstreamApp:
        self.server = make_server("127.0.0.1", self.port, self, handler_class=QuietHandler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()


@dataclass
class Upstream:
    """The provider: its Hydra (not yet started), its login-and-consent app, Kratos's client secret."""

    hydra: Hydra
    app: UpstreamApp
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    provider_id: str = PROVIDER_ID
    label: str = PROVIDER_LABEL

    @classmethod
    def create(cls, ports: tuple[int, int, int] | None = None, **fields) -> Upstream:
        """On `ports` (Hydra public, Hydra admin, the app), free ones by default."""
        public, admin, app_port = ports or (free_port(), free_port(), free_port())
        login_app = UpstreamApp(port=app_port)
        hydra = Hydra(
            "upstream",
            public,
            admin,
            env={
                "URLS_LOGIN": login_app.url + "/login",
                "URLS_CONSENT": login_app.url + "/consent",
                "URLS_LOGOUT": login_app.url + "/logout",
                "URLS_ERROR": login_app.url + "/error",
                "URLS_IDENTITY_PROVIDER_URL": "http://127.0.0.1:9",
            },
        )
        login_app.hydra_admin_url = hydra.admin_url
        return cls(hydra, login_app, **fields)

    def write_kratos_overlay(self, path) -> None:
        """A Kratos config overlay: the generic oidc provider pointing at this Hydra."""
        mapper = "base64://" + base64.b64encode(JSONNET.encode()).decode()
        path.write_text(f"""selfservice:
  methods:
    oidc:
      enabled: true
      config:
        providers:
          - id: {self.provider_id}
            provider: generic
            label: "{self.label}"
            client_id: kratos
            client_secret: {self.client_secret}
            issuer_url: {self.hydra.public_url}/
            mapper_url: {mapper}
            scope: [openid, email]
""")

    def start(self, stack) -> None:
        """Beside `stack`, whose Kratos has this overlay: the app, Hydra, and Kratos's client there."""
        self.app.start()
        stack.start_hydra(self.hydra)
        client = {
            "client_id": "kratos",
            "client_secret": self.client_secret,
            "client_name": "Kratos",
            "redirect_uris": [f"{stack.public_url}/self-service/methods/oidc/callback/{self.provider_id}"],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "scope": "openid offline_access email",
            "token_endpoint_auth_method": "client_secret_post",
        }
        answer = requests.post(self.hydra.admin_url + "/admin/clients", json=client, timeout=10)
        answer.raise_for_status()

    def sign_in_as(self, email: str) -> None:
        """Who the provider signs in next (its subject follows the email)."""
        self.app.email = email
