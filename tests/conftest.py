"""Shared fixtures. Every test that writes state gets its own var dir through the environment."""

from __future__ import annotations

import pytest


@pytest.fixture
def var_dir(tmp_path, monkeypatch):
    """An empty, private CHUNYUN_VAR_DIR (store and runs) for one test."""
    path = tmp_path / "var"
    path.mkdir()
    monkeypatch.setenv("CHUNYUN_VAR_DIR", str(path))
    monkeypatch.delenv("CHUNYUN_DATABASE_URL", raising=False)
    return path
