"""``chunyun backtest``: season-aligned rolling-origin backtest, as Markdown or tidy metrics."""

from __future__ import annotations

import logging

from forecast.cli.output import emit

log = logging.getLogger(__name__)


HELP = "season-aligned backtest of every model (Markdown report, or --json/--csv metrics)"
DESCRIPTION = ("For each season, train only on data before its Chunyun window and forecast its 40 days; score "
               "daily MAPE/sMAPE, season total error, peak date and value errors and interval coverage against "
               "the lunar-aligned baseline and the official forecast, plus nowcasts after 10/20/30 days. "
               "A full run (all series and seasons) is cached for `chunyun train` and reused for the same data.")
FORMATS = ("json", "csv")


def arguments(parser) -> None:
    parser.add_argument("--seasons", nargs="+", type=int, metavar="S", help="seasons to test (default 2016-2025)")
    parser.add_argument("--unique-id", nargs="+", dest="unique_ids", metavar="ID", help="series to test (default: all)")
    parser.add_argument("--no-nowcast", action="store_true", help="skip the nowcast backtests")
    parser.add_argument("--workers", type=int, default=2, help="processes to use (default 2)")
    parser.add_argument("--refresh", action="store_true", help="recompute a full backtest even if one is cached for this data")


def run(args) -> int:
    from forecast import backtest
    from forecast.errors import InvalidInput, NotReady
    from forecast.registry import parse_uid
    from forecast.store import Store

    if args.workers < 1:
        raise InvalidInput(f"--workers {args.workers} must be at least 1", hint="e.g. --workers 2")
    store = Store()
    if args.unique_ids:
        for uid in args.unique_ids:
            parse_uid(uid)
            store.require_series(uid)
    seasons = tuple(args.seasons or backtest.ALL_SEASONS)
    for s in seasons:
        if not 2016 <= s <= 2035:
            raise InvalidInput(f"season {s} cannot be backtested", hint="seasons 2016 on (the data starts in 2015)")
    history = store.read(args.unique_ids)
    if not args.unique_ids:  # toll-station series have their own backtest (chunyun train: runs/<id>/stations/)
        from forecast.stations.pipeline import is_station

        history = history[~is_station(history["unique_id"])]
    if history.empty:
        raise NotReady("the store is empty", hint="load data with `chunyun prepare`")
    nowcast = () if args.no_nowcast else backtest.NOWCAST_DAYS
    full = not args.unique_ids and set(seasons) == set(backtest.ALL_SEASONS) and bool(nowcast)
    fingerprint = store.fingerprint() if full else None
    result = backtest.load_cache(fingerprint) if full and not args.refresh else None
    if result is not None:
        log.info("backtest: the full backtest of this data (fingerprint %s) is cached; --refresh recomputes it",
                 fingerprint[:16])
    else:
        result = backtest.backtest(history, args.unique_ids, seasons, nowcast_days=nowcast, workers=args.workers)
        if full:
            backtest.save_cache(result, fingerprint)
    if args.fmt == "text":
        took = f"in {result.seconds:.0f} s" if result.seconds else "(cached)"
        emit(result.report() + f"\n\n_{len(result.forecasts)} forecast days {took}._", "text")
    else:
        emit(result.metrics, args.fmt)
    return 0
