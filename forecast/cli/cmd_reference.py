"""``chunyun reference``: the curated published figures, with their sources.

Without ``--days``/``--holidays`` it shows ``data/reference/figures.csv`` (season totals and more);
``--days`` shows the curated Chunyun daily rows (days.csv), ``--holidays`` the other holidays'
daily rows and totals (holidays.csv).
"""

from __future__ import annotations

import argparse

import pandas as pd

from forecast.cli.output import emit
from forecast.errors import InvalidInput
from forecast.realdays import load_days, load_holidays
from forecast.reference import load_reference
from forecast.registry import resolve_region

TEXT_COLUMNS = ("season", "region", "metric", "measure", "ds", "value", "unit", "kind", "basis",
                "published", "status", "source_outlet")
DAY_TEXT_COLUMNS = ("season", "ds", "metric", "measure", "value", "kind", "status", "published", "lunar_day",
                    "yoy_pct", "source_outlet", "id")
HOLIDAY_TEXT_COLUMNS = ("year", "holiday", "ds", "metric", "measure", "value", "kind", "status", "published",
                        "source_outlet", "id")


HELP = "published Chunyun figures (curated, with sources)"
DESCRIPTION = ("Published Chunyun figures from data/reference/figures.csv, in base units, "
               "with status (ok/flagged/superseded), publication date and source. --days: the "
               "ministry's daily figures (days.csv); --holidays: other holidays (holidays.csv).")
FORMATS = ("json", "csv")


def arguments(parser) -> None:
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--days", action="store_true",
                       help="the curated national daily rows of the Chunyun seasons (actual, estimate, derived)")
    which.add_argument("--holidays", action="store_true",
                       help="the curated national daily rows and totals of the other holidays")
    parser.add_argument("--region", help="region or alias (jiangxi, 江西, national) or a reference scope "
                                         "such as nanchang_railway_group; --days/--holidays are national only")
    parser.add_argument("--season", help="season (Spring Festival year), 2000-2035; the year with --holidays")
    parser.add_argument("--kind", choices=("forecast", "actual", "estimate", "derived"),
                        help="figures: forecast or actual; --days/--holidays: actual, estimate (= forecast) or derived")
    parser.add_argument("--metric", help="only this metric (e.g. cross_regional_trips)")
    parser.add_argument("--ok-only", action="store_true",
                        help="only curated best figures (figures: drop flagged and superseded; days: drop "
                             "duplicate and superseded copies)")
    parser.add_argument("--include-uncertain", action="store_true",
                        help="--days/--holidays: also rows that need a second source (left out by default)")


def _text(df: pd.DataFrame, columns=TEXT_COLUMNS) -> str:
    if df.empty:
        return "no reference figures match"
    view = df[list(columns)].copy()
    for col in ("ds", "published"):
        view[col] = view[col].dt.strftime("%Y-%m-%d").fillna("")
    view["value"] = [_fmt_value(v, u) for v, u in zip(df["value"], df["unit"], strict=True)]
    if "yoy_pct" in view:
        view["yoy_pct"] = [f"{v:+g}%" if pd.notna(v) else "" for v in df["yoy_pct"]]
    return view.to_string(index=False)


def _fmt_value(value: float, unit: str) -> str:
    if pd.isna(value):
        return ""
    if unit == "percent":
        return f"{value:g}%"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _check_national(region) -> None:
    if region is not None and resolve_region(region) != "national":
        raise InvalidInput(f"the daily figures are national only, not {region!r}", hint="drop --region")


def _daily_rows(args: argparse.Namespace) -> tuple[pd.DataFrame, tuple[str, ...]]:
    _check_national(args.region)
    common = dict(kinds=args.kind, include_uncertain=args.include_uncertain, metric=args.metric,
                  ok_only=args.ok_only)
    if args.days:
        return load_days(season=args.season, **common), DAY_TEXT_COLUMNS
    return load_holidays(year=args.season, **common), HOLIDAY_TEXT_COLUMNS


def run(args: argparse.Namespace) -> int:
    if args.days or args.holidays:
        df, columns = _daily_rows(args)
        emit(df, args.fmt, text=lambda frame: _text(frame, columns))
        return 0
    if args.include_uncertain:
        raise InvalidInput("--include-uncertain applies to --days or --holidays",
                           hint="figures.csv has include/exclude by --ok-only")
    df = load_reference(region=args.region, season=args.season, kind=args.kind, metric=args.metric,
                        include_flagged=not args.ok_only, include_superseded=not args.ok_only)
    emit(df, args.fmt, text=_text)
    return 0
