"""``chunyun runs``: the trained runs, newest first, with the live one marked."""

from __future__ import annotations

import pandas as pd

from forecast.cli.output import emit

HELP = "list trained runs (newest first; * marks current)"
DESCRIPTION = ("List the runs under <var_dir>/runs: run_id, created_at, cutoff, data_end, "
               "data_kind, series count and which one is current.")
FORMATS = ("json", "csv")


def run(args) -> int:
    from forecast.runs import list_runs

    manifests = list_runs()
    if args.fmt == "json":
        emit(manifests, "json")
        return 0
    frame = pd.DataFrame([{"current": "*" if m.get("current") else "", "run_id": m["run_id"], "created_at": m.get("created_at"),
                           "cutoff": m.get("cutoff"), "data_end": m.get("data_end"), "data_kind": m.get("data_kind"),
                           "series": len(m.get("series", [])), "backtest": m.get("backtest")} for m in manifests])
    emit(frame, args.fmt, text=lambda f: f.to_string(index=False) if len(f) else "no runs yet (train one with `chunyun train`)")
    return 0
