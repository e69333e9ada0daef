"""The stylesheet and scripts: gzipped for browsers that accept it, the same bytes otherwise, kept
for good at the URL a page links to, and checked again at any other."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from page_checks import parse

STATIC = Path(__file__).resolve().parents[2] / "static"


def stylesheet_url(client) -> str:
    doc = parse(client.get("/").get_data(as_text=True))
    return next(link.get("href") for link in doc.iter("link") if link.get("rel") == "stylesheet")


def test_a_browser_that_accepts_gzip_gets_the_stylesheet_compressed(client):
    url = stylesheet_url(client)
    resp = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert resp.status_code == 200 and resp.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(resp.data) == (STATIC / "style.css").read_bytes()
    assert len(resp.data) < (STATIC / "style.css").stat().st_size / 2
    assert resp.mimetype == "text/css" and "Accept-Encoding" in resp.headers["Vary"]


def test_a_browser_that_does_not_gets_the_file_as_it_is(client):
    resp = client.get(stylesheet_url(client), headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in resp.headers
    assert resp.data == (STATIC / "style.css").read_bytes()


def test_the_linked_url_names_the_content_and_is_kept_for_good_any_other_is_checked_again(client):
    url = stylesheet_url(client)
    assert urlsplit(url).path == "/static/style.css"
    version = parse_qs(urlsplit(url).query)["v"][0]
    assert version == hashlib.sha256((STATIC / "style.css").read_bytes()).hexdigest()[:12]
    assert "immutable" in client.get(url).headers["Cache-Control"]
    # Another content would have another URL; an old or bare URL is checked each time.
    assert client.get("/static/style.css?v=000000000000").headers["Cache-Control"] == "no-cache"
    assert client.get("/static/style.css").headers["Cache-Control"] == "no-cache"


def test_a_repeated_request_is_answered_not_modified(client):
    url = stylesheet_url(client)
    first = client.get(url, headers={"Accept-Encoding": "gzip"})
    again = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_every_script_a_page_loads_is_served(client, kratos):
    rec = kratos.answer("GET", "/self-service/login/flows", "login_flow")
    doc = parse(client.get(f"/login?flow={rec['body']['id']}").get_data(as_text=True))
    ours = [s.get("src") for s in doc.iter("script") if (s.get("src") or "").startswith("/static/")]
    assert ours
    for src in ours:
        resp = client.get(src, headers={"Accept-Encoding": "gzip"})
        name = urlsplit(src).path.removeprefix("/static/")
        assert resp.status_code == 200 and gzip.decompress(resp.data) == (STATIC / name).read_bytes()


def test_nothing_outside_the_folder_is_served(client):
    for path in ("/static/../app/__init__.py", "/static/%2e%2e/app/config.py", "/static/nothing.css"):
        assert client.get(path).status_code == 404
