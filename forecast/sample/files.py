"""The sample's files: ``history.csv.gz`` and ``calibration.csv`` written and read back; the calibration table."""

from __future__ import annotations

import gzip
import io
import logging
from pathlib import Path

import pandas as pd

from forecast import calendar, settings
from forecast.errors import NotFound
from forecast.sample.asof import _default_reference
from forecast.sample.assumptions import CALIBRATION_FILE, DEFAULT_SEED, SAMPLE_FILE, SOURCE
from forecast.sample.draw import generate
from forecast.sample.targets import season_targets

log = logging.getLogger("forecast.sample")  # the logger the sample has always logged to


def sample_dir() -> Path:
    return Path(settings.load()["data_dir"]) / "sample"


def write_sample(out_dir: str | Path | None = None, seed: int = DEFAULT_SEED,
                 reference: pd.DataFrame | None = None, days: pd.DataFrame | None = None) -> Path:
    """Write ``history.csv.gz`` (and ``calibration.csv``) to ``out_dir``; byte-identical for a seed.
    ``reference`` and ``days`` (the real national days) as in :func:`~forecast.sample.draw.generate`."""
    out = Path(out_dir) if out_dir is not None else sample_dir()
    out.mkdir(parents=True, exist_ok=True)
    reference = _default_reference(reference)
    sample = generate(reference, seed, days)
    text = io.StringIO()
    frame = sample.assign(y=sample["y"].astype("int64"))
    frame.to_csv(text, index=False, date_format="%Y-%m-%d", lineterminator="\n")
    path = out / SAMPLE_FILE
    with open(path, "wb") as fh, gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0, compresslevel=9) as gz:
        gz.write(text.getvalue().encode("utf-8"))
    calibration_table(sample, reference).to_csv(out / CALIBRATION_FILE, index=False, float_format="%.6g",
                                                lineterminator="\n")
    log.info("sample: wrote %s (%d rows, seed %d)", path, len(sample), seed)
    return path


def load_sample(path: str | Path | None = None) -> pd.DataFrame:
    """The committed sample ``unique_id, ds, y, source`` (``source`` is always ``sample``)."""
    path = Path(path) if path is not None else sample_dir() / SAMPLE_FILE
    if path.is_dir():
        path = path / SAMPLE_FILE
    if not path.is_file():
        raise NotFound(f"no sample history at {path}", hint="run `chunyun sample` to generate it")
    df = pd.read_csv(path, dtype={"unique_id": str, "y": "float64"}, parse_dates=["ds"])
    df["ds"] = df["ds"].astype("datetime64[ns]")
    df["source"] = SOURCE
    return df[["unique_id", "ds", "y", "source"]]


def calibration_table(sample: pd.DataFrame, reference: pd.DataFrame | None = None) -> pd.DataFrame:
    """Season targets against the sample's season totals: ``season, region, metric, target,
    achieved, diff_pct, source, note`` (emergent seasons have no target)."""
    targets = season_targets(reference)
    wide = sample.pivot(index="ds", columns="unique_id", values="y")
    start = wide.index[0]
    achieved = []
    for season, region, metric in zip(targets["season"], targets["region"], targets["metric"], strict=True):
        cal = calendar.season(int(season))
        first, last = (pd.Timestamp(cal.chunyun_start) - start).days, (pd.Timestamp(cal.chunyun_end) - start).days
        achieved.append(float(wide[f"{region}/{metric}"].to_numpy()[first:last + 1].sum()))
    out = targets[["season", "region", "metric", "target"]].copy()
    out["achieved"] = achieved
    out["diff_pct"] = (100 * (out["achieved"] / out["target"] - 1)).round(4) + 0.0
    out["source"] = targets["source"]
    out["note"] = targets["note"]
    return out
