"""The files under static/ (the stylesheet, the scripts), served from memory.

Each is read and gzipped once at start-up, and sent compressed to browsers that accept it: the
stylesheet alone was a third of the sign-in page's bytes. Their URLs carry a hash of the content
(`?v=`), so a browser keeps them for good and asks again only after a change. A file added to the
folder after start-up (an operator's logo) is served from disk, as Flask would.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app, request, send_from_directory
from werkzeug.wrappers import Response

FOR_GOOD = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None  # None when compressing does not make it smaller
    mimetype: str
    version: str


def load(folder: Path) -> dict[str, Asset]:
    assets = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        body = path.read_bytes()
        gzipped = gzip.compress(body, compresslevel=9, mtime=0)
        mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if mimetype.startswith("text/") or mimetype.endswith(("javascript", "json", "svg+xml")):
            mimetype += "; charset=utf-8"
        assets[path.relative_to(folder).as_posix()] = Asset(
            body, gzipped if len(gzipped) < len(body) else None, mimetype, hashlib.sha256(body).hexdigest()[:12]
        )
    return assets


def serve(filename: str) -> Response:
    asset: Asset | None = current_app.extensions["assets"].get(filename)
    if asset is None:
        return send_from_directory(current_app.extensions["assets_folder"], filename)
    compressed = asset.gzipped is not None and request.accept_encodings["gzip"] > 0
    response = Response(asset.gzipped if compressed else asset.body, content_type=asset.mimetype)
    if compressed:
        response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    response.set_etag(asset.version + ("-gzip" if compressed else ""))
    # Kept for good only at the URL of this content; an old or bare URL is checked each time.
    response.headers["Cache-Control"] = FOR_GOOD if request.args.get("v") == asset.version else "no-cache"
    return response.make_conditional(request)


def init_app(app: Flask, folder: Path) -> None:
    """`folder`'s files at /static/<name>, the endpoint Flask's own would have (url_for("static", ...))."""
    assets = load(folder)
    app.extensions["assets"], app.extensions["assets_folder"] = assets, folder
    app.add_url_rule("/static/<path:filename>", "static", serve)

    @app.url_defaults
    def versioned(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and values.get("filename") in assets:
            values.setdefault("v", assets[values["filename"]].version)
