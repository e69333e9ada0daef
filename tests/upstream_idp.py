"""A "social" OpenID Connect provider for the tests: a second Hydra, and its login-and-consent
app, a small WSGI server in a thread of the test process that signs in one test user (whoever
`UpstreamApp.user` names at the time) through that Hydra's admin API. Test support, not product."""

from __future__ import annotations

import base64
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


@dataclass
class UpstreamApp:
    """Accepts every login and consent challenge of `hydra_admin_url` for `user`."""

    port: int = field(default_factory=free_port)
    hydra_admin_url: str = ""
    user: dict = field(default_factory=lambda: {"subject": "upstream-user", "email": "upstream@example.com"})
    server: WSGIServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __call__(self, environ, start_response):
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        path = environ.get("PATH_INFO", "")
        requests_url = f"{self.hydra_admin_url}/admin/oauth2/auth/requests"
        if path == "/login" and "login_challenge" in query:
            answer = requests.put(f"{requests_url}/login/accept", params={"login_challenge": query["login_challenge"]},
                                  json={"subject": self.user["subject"]}, timeout=10)
        elif path == "/consent" and "consent_challenge" in query:
            challenge = query["consent_challenge"]
            asked = requests.get(f"{requests_url}/consent", params={"consent_challenge": challenge}, timeout=10).json()
            answer = requests.put(f"{requests_url}/consent/accept", params={"consent_challenge": challenge}, json={
                "grant_scope": asked["requested_scope"], "session": {"id_token": {
                    "email": self.user["email"], "email_verified": True}}}, timeout=10)
        else:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not here"]
        if answer.status_code != 200:
            start_response("502 Bad Gateway", [("Content-Type", "text/plain")])
            return [answer.content]
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

    @classmethod
    def create(cls) -> Upstream:
        login_app = UpstreamApp()
        hydra = Hydra("upstream", free_port(), free_port(), env={
            "URLS_LOGIN": login_app.url + "/login", "URLS_CONSENT": login_app.url + "/consent",
            "URLS_LOGOUT": login_app.url + "/logout", "URLS_ERROR": login_app.url + "/error",
            "URLS_IDENTITY_PROVIDER_URL": "http://127.0.0.1:9"})
        login_app.hydra_admin_url = hydra.admin_url
        return cls(hydra, login_app)

    def write_kratos_overlay(self, path) -> None:
        """A Kratos config overlay: the generic oidc provider pointing at this Hydra."""
        mapper = "base64://" + base64.b64encode(JSONNET.encode()).decode()
        path.write_text(f"""selfservice:
  methods:
    oidc:
      enabled: true
      config:
        providers:
          - id: {PROVIDER_ID}
            provider: generic
            label: {PROVIDER_LABEL}
            client_id: kratos
            client_secret: {self.client_secret}
            issuer_url: {self.hydra.public_url}/
            mapper_url: {mapper}
            scope: [openid, email]
""")

    def start(self, stack) -> None:
        """Beside `stack`, whose Kratos has this overlay: the app, Hydra, and Kratos's client there."""
        from support import register_oauth2_client

        self.app.start()
        stack.start_hydra(self.hydra)
        register_oauth2_client(self.hydra.admin_url, f"{stack.public_url}/self-service/methods/oidc/callback/"
                               f"{PROVIDER_ID}", client_id="kratos", client_secret=self.client_secret,
                               token_endpoint_auth_method="client_secret_post")

    def sign_in_as(self, email: str) -> None:
        """Who the provider signs in next (its subject follows the email)."""
        self.app.user = {"subject": "upstream-" + email, "email": email}
