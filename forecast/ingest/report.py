"""The ingest report: :class:`Problem` (one rejected observation), :class:`IngestReport`, the
budget of problems built in detail (``_Room``) and the number and text formats of reasons."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Problem:
    """One observation that was not stored, and why. ``row`` holds the raw fields."""

    file: str
    line: int
    reason: str
    row: dict = field(default_factory=dict)
    kind: str = ""  # machine-readable: bad_date, impossible_date, date_out_of_range, unknown_region, ...

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class IngestReport:
    file: str
    source: str
    form: str = ""
    rows: int = 0
    accepted: int = 0
    rejected: int = 0
    unchanged: int = 0
    replaced: int = 0
    duplicates: int = 0
    dry_run: bool = False
    sha256: str | None = None
    load_id: int | None = None
    problems_omitted: int = 0  # rejected rows beyond the first ``max_problems`` listed (counted in rejected)
    problems: list[Problem] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 when every row was stored or already there, 1 when rows were rejected."""
        return 1 if self.rejected else 0

    def summary(self) -> str:
        extra = f"unchanged {self.unchanged}, replaced {self.replaced}, duplicate {self.duplicates}"
        dry = "dry run, nothing stored; " if self.dry_run else ""
        return f"{self.file}: {dry}{self.rows} rows ({extra}); accepted {self.accepted}, rejected {self.rejected}"

    def to_dict(self) -> dict:
        out = asdict(self)
        out["problems"] = [p.to_dict() for p in self.problems]
        return out


class _Room:
    """How many more problems to build in detail (None: all), one budget shared by every check of
    a pass; counts the others."""

    def __init__(self, limit: int | None):
        self.limit, self.built, self.omitted = limit, 0, 0

    def take(self, items):
        """The first items there is room for (all when there is no limit); counts the rest."""
        if self.limit is None:
            return items
        n = max(0, min(len(items), self.limit - self.built))
        self.built += n
        self.omitted += len(items) - n
        return items[:n]

    def left(self) -> bool:
        return self.limit is None or self.built < self.limit


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(float(v))


def _short(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters for a reason (a 5,000-digit value is not repeated)."""
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"
