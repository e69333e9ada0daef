"""The wheel is the whole app: built from the repo, installed with the locked dependencies into a
fresh virtualenv outside it, and started from another directory the way the Dockerfile starts it,
it serves its pages with their stylesheet. Kratos is not running: the page is the 503 one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import html5lib
import pytest
import requests

from stack import ROOT, free_port

# What the Dockerfile copies into its build stage.
SOURCES = ("pyproject.toml", "app", "templates", "static")


def run(*argv, **kwargs) -> None:
    subprocess.run(argv, check=True, capture_output=True, text=True, timeout=300, **kwargs)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """Built from a copy of the sources, so no build/ or egg-info lands in the repo."""
    work = tmp_path_factory.mktemp("wheel")
    (work / "src").mkdir()
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, work / "src" / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, work / "src" / name)
    # The dev venv holds the locked setuptools (requirements-build.txt): no isolated build env to fetch.
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--quiet",
        "--no-deps",
        "--no-build-isolation",
        "--wheel-dir",
        str(work / "dist"),
        str(work / "src"),
    )
    (built,) = (work / "dist").glob("*.whl")
    return built


@pytest.fixture(scope="module")
def installed(tmp_path_factory, wheel) -> Path:
    """A fresh virtualenv with requirements.txt and the wheel, nothing from the repo."""
    venv = tmp_path_factory.mktemp("venv")
    run(sys.executable, "-m", "venv", "--without-pip", str(venv))
    python = venv / "bin" / "python"
    pip = (sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet")
    run(*pip, "--require-hashes", "-r", str(ROOT / "requirements.txt"))
    run(*pip, "--no-deps", str(wheel))
    return python


@pytest.fixture(scope="module")
def server(tmp_path_factory, installed):
    """The installed package's production server (python -m app.serve), started from an empty directory."""
    workdir = tmp_path_factory.mktemp("srv")
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens: Kratos is unreachable
    port = free_port()
    env = {
        "PATH": f"{installed.parent}{os.pathsep}/usr/bin:/bin",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "THREADS": "2",
        "KRATOS_PUBLIC_URL": closed,
        "KRATOS_ADMIN_URL": closed,
        "KRATOS_TIMEOUT": "2",
    }
    log = (workdir / "server.log").open("w")
    proc = subprocess.Popen(
        [str(installed), "-m", "app.serve"],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(url + "/health/alive", timeout=2)
                break
            except requests.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("the installed app did not start:\n" + (workdir / "server.log").read_text())
                time.sleep(0.2)
        yield url, workdir, env
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        log.close()


def test_the_wheel_carries_every_template_and_static_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("templates", "static"):
        expected = {
            f"app/{folder}/{path.relative_to(ROOT / folder).as_posix()}"
            for path in (ROOT / folder).rglob("*")
            if path.is_file()
        }
        assert expected and expected <= names, sorted(expected - names)
    catalogs = {
        f"app/{path.relative_to(ROOT / 'app').as_posix()}"
        for path in (ROOT / "app" / "translations").rglob("*")
        if path.suffix in (".mo", ".json")
    }
    assert len(catalogs) == 6 and catalogs <= names, sorted(catalogs - names)


def test_the_installed_app_serves_the_unavailable_page_with_its_stylesheet(server, installed):
    url, workdir, env = server
    # The app that answers is the installed copy, not the repo's.
    where = subprocess.run(
        [str(installed), "-c", "import app; print(app.__file__)"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(installed.parent.parent), where

    # A flow id to fetch from Kratos, which does not answer.
    page = requests.get(url + "/login?flow=0b9c7d1e-5f3a-4e2b-9c8d-7a6b5c4d3e2f", allow_redirects=False, timeout=10)
    assert page.status_code == 503
    doc = html5lib.parse(page.text, namespaceHTMLElements=False)
    assert doc.find(".//h1").text == "Sign-in service unavailable"
    (stylesheet,) = [link.get("href") for link in doc.iter("link") if link.get("rel") == "stylesheet"]

    css = requests.get(requests.compat.urljoin(url + "/login", stylesheet), timeout=10)
    assert css.status_code == 200
    assert css.headers["Content-Type"].startswith("text/css")
    assert css.content == (ROOT / "static" / "style.css").read_bytes()
    assert "Traceback" not in (workdir / "server.log").read_text()


def test_the_installed_app_speaks_german_from_its_own_catalogs(server):
    url, _, _ = server
    page = requests.get(
        url + "/login?flow=0b9c7d1e-5f3a-4e2b-9c8d-7a6b5c4d3e2f",
        allow_redirects=False,
        headers={"Accept-Language": "de-DE,de;q=0.9"},
        timeout=10,
    )
    doc = html5lib.parse(page.text, namespaceHTMLElements=False)
    assert doc.get("lang") == "de"  # html5lib answers the <html> element itself
    assert doc.find(".//h1").text == "Anmeldedienst nicht erreichbar"
