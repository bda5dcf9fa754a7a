"""``chunyun calendar SEASON``: one season's Chunyun window, holiday block, 调休 and toll-free days."""

from __future__ import annotations

import unicodedata
from datetime import date

from forecast import calendar
from forecast.cli.output import emit
from forecast.errors import InvalidInput

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


HELP = "one season's calendar (春运 window, holiday, 调休, toll-free days)"
DESCRIPTION = "Print one season's calendar. A season is named by its Spring Festival year."
FORMATS = ("json",)


def arguments(parser) -> None:
    parser.add_argument("season", metavar="SEASON", help=f"Spring Festival year ({calendar.SUPPORTED_HINT})")


def run(args) -> int:
    season = calendar.season(parse_season(args.season))
    emit(season.to_dict(), args.fmt, text=lambda _: format_season(season))
    return 0


def parse_season(value: str) -> int:
    """The SEASON argument as an int, or a one-line error."""
    try:
        return int(str(value).strip())
    except ValueError:
        raise InvalidInput(f"season {value!r} is not a year", hint=f"e.g. 2025; {calendar.SUPPORTED_HINT}") from None


def format_season(s: calendar.Season) -> str:
    """A readable table of one season."""
    toll = _span(s.toll_free_start, s.toll_free_end) if s.toll_free_start else "none (the policy began in 2013)"
    makeup = ", ".join(_day(d) for d in s.makeup_workdays) or "none"
    source = "estimated by rule" if s.estimated else "official (State Council notice)"
    rows = [
        ("Spring Festival 春节", _day(s.spring_festival)),
        ("Chunyun 春运", _span(s.chunyun_start, s.chunyun_end)),
        ("holiday 春节假期", f"{_span(s.holiday_start, s.holiday_end)}  {source}"),
        ("make-up workdays 调休上班", makeup),
        ("toll-free cars 小客车免费", toll),
        ("Lantern Festival 元宵", _day(s.lantern_festival)),
    ]
    width = max(_width(label) for label, _ in rows) + 2
    lines = [f"Season {s.season}"] + [f"  {label}{' ' * (width - _width(label))}{value}" for label, value in rows]
    return "\n".join(lines)


def _day(d: date) -> str:
    return f"{d.isoformat()} {_WEEKDAYS[d.weekday()]}"


def _span(start: date, end: date) -> str:
    return f"{_day(start)} – {_day(end)}  ({(end - start).days + 1} days)"


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
