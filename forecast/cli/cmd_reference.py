"""``chunyun reference``: the curated published figures, with their sources."""

from __future__ import annotations

import argparse

import pandas as pd

from forecast.cli.output import add_format_flags, emit
from forecast.reference import load_reference

TEXT_COLUMNS = ("season", "region", "metric", "measure", "ds", "value", "unit", "kind", "basis",
                "published", "status", "source_outlet")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "reference",
        help="published Chunyun figures (curated, with sources)",
        description="Published Chunyun figures from data/reference/figures.csv, in base units, "
                    "with status (ok/flagged/superseded), publication date and source.",
    )
    parser.add_argument("--region", help="region or alias (jiangxi, 江西, national) or a reference scope "
                                         "such as nanchang_railway_group")
    parser.add_argument("--season", help="season (Spring Festival year), 2000-2035")
    parser.add_argument("--kind", choices=("forecast", "actual"), help="only forecasts or only actuals")
    parser.add_argument("--metric", help="only this metric (e.g. cross_regional_trips)")
    parser.add_argument("--ok-only", action="store_true", help="only curated best figures (drop flagged and superseded)")
    add_format_flags(parser)
    parser.set_defaults(func=run)


def _text(df: pd.DataFrame) -> str:
    if df.empty:
        return "no reference figures match"
    view = df[list(TEXT_COLUMNS)].copy()
    for col in ("ds", "published"):
        view[col] = view[col].dt.strftime("%Y-%m-%d").fillna("")
    view["value"] = [_fmt_value(v, u) for v, u in zip(df["value"], df["unit"], strict=True)]
    return view.to_string(index=False)


def _fmt_value(value: float, unit: str) -> str:
    if pd.isna(value):
        return ""
    if unit == "percent":
        return f"{value:g}%"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def run(args: argparse.Namespace) -> int:
    df = load_reference(region=args.region, season=args.season, kind=args.kind, metric=args.metric,
                        include_flagged=not args.ok_only, include_superseded=not args.ok_only)
    emit(df, args.fmt, text=_text)
    return 0
