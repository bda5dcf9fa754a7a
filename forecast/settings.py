"""Settings, declared once as data.

Each setting has an environment variable ``CHUNYUN_<NAME>``, a default and a meaning. The CLI,
the API and gunicorn read them through :func:`load`; the README's table is generated from
:data:`SETTINGS` so documentation cannot drift from the code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Setting:
    name: str
    default: str | None
    help: str
    kind: type = str

    @property
    def env(self) -> str:
        return f"CHUNYUN_{self.name.upper()}"


SETTINGS: tuple[Setting, ...] = (
    Setting("data_dir", str(PROJECT_ROOT / "data"), "Reference figures, the sample, regions and alert thresholds."),
    Setting("var_dir", str(PROJECT_ROOT / "var"), "Writable state: the SQLite store and the trained runs."),
    Setting("database_url", None, "SQLAlchemy URL of the store; default sqlite:///<var_dir>/chunyun.db."),
    Setting("api_token", None, "Bearer token for the write endpoints; unset disables them."),
    Setting("host", "127.0.0.1", "Address the API listens on."),
    Setting("port", "8000", "Port the API listens on.", int),
    Setting("workers", None, "gunicorn workers; default 2 x cores + 1, at most 8.", int),
    Setting("max_body_bytes", str(20 * 1024 * 1024), "Largest accepted request body.", int),
)


def load(**overrides) -> dict:
    """Current settings: defaults, then the environment, then ``overrides`` (e.g. from tests)."""
    values: dict = {}
    for s in SETTINGS:
        raw = os.environ.get(s.env, s.default)
        values[s.name] = s.kind(raw) if raw not in (None, "") else None
    values.update({k: v for k, v in overrides.items() if v is not None})
    if not values["database_url"]:
        values["database_url"] = f"sqlite:///{Path(values['var_dir']) / 'chunyun.db'}"
    return values
