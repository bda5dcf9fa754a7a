"""Peak alerts: thresholds, rules, probabilities; the CLI and the endpoint agree."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast import alerts, runs
from forecast.cli import main
from forecast.errors import InvalidInput, Unprocessable

JX_HW = "jiangxi/highway_exit_vehicles"


def frame(values, start="2026-02-02", uid=JX_HW, spread=0.1):
    ds = pd.date_range(start, periods=len(values), freq="D")
    y = np.asarray(values, dtype=float)
    return pd.DataFrame({"unique_id": uid, "ds": ds, "yhat": y,
                         "yhat_lower_80": y * (1 - spread), "yhat_upper_80": y * (1 + spread),
                         "yhat_lower_95": y * (1 - 1.5 * spread), "yhat_upper_95": y * (1 + 1.6 * spread)})


ONLY_ABSOLUTE = alerts.Thresholds.from_dict({"series": {JX_HW: {"absolute": {
    "blue": 1_400_000, "yellow": 1_700_000, "orange": 2_000_000, "red": 2_400_000}}}})


def test_the_thresholds_file_loads():
    th = alerts.load_thresholds()
    hw = th.for_series(JX_HW)
    assert hw.absolute == {"blue": 1_400_000, "yellow": 1_700_000, "orange": 2_000_000, "red": 2_400_000}
    assert hw.p90["quantile"] == 0.9 and hw.top["n"] == 3 and hw.jump["pct"] > 0
    assert th.for_series("jiangxi/water_passengers").absolute == {}  # relative rules only


@pytest.mark.parametrize(("doc", "words"), [
    ({"series": {JX_HW: {"absolute": {"red": 1, "blue": 2}}}}, "rise from blue to red"),
    ({"series": {JX_HW: {"absolute": {"purple": 1}}}}, "unknown level"),
    ({"series": {JX_HW: {"absolute": {"red": "2.4万"}}}}, "positive number"),
    ({"series": {"mars/highway_exit_vehicles": {}}}, "unknown region"),
    ({"defaults": {"relative": {"p90": {"level": "red", "quantile": 1.5}}}}, "valid quantile"),
    ({"defaults": {"relative": {"median": {}}}}, "unknown relative rules"),
])
def test_bad_thresholds_are_named(doc, words):
    with pytest.raises(Unprocessable, match=words):
        alerts.Thresholds.from_dict(doc)


def test_one_alert_at_the_highest_level_reached():
    fc = frame([1_000_000, 1_500_000, 1_800_000, 2_100_000, 2_500_000, 3_000_000])
    out = alerts.compute_alerts(fc, "2026-02-02", 6, thresholds=ONLY_ABSOLUTE)
    assert list(out["level"]) == ["blue", "yellow", "orange", "red", "red"]
    assert list(out["threshold"]) == [1_400_000, 1_700_000, 2_000_000, 2_400_000, 2_400_000]
    assert (out["rule"] == "level").all()
    first = out.iloc[0]
    assert first["yhat_lower"] == pytest.approx(1_350_000) and first["yhat_upper"] == pytest.approx(1_650_000)
    assert "蓝色预警线" in first["message_zh"] and "blue threshold" in first["message_en"]
    red = alerts.compute_alerts(fc, "2026-02-02", 6, min_level="red", thresholds=ONLY_ABSOLUTE)
    assert list(red["date"].dt.strftime("%m-%d")) == ["02-06", "02-07"]
    assert alerts.compute_alerts(fc, "2026-02-02", 6, region="national", thresholds=ONLY_ABSOLUTE).empty
    assert alerts.compute_alerts(fc, "2026-02-04", 1, thresholds=ONLY_ABSOLUTE)["level"].tolist() == ["yellow"]


def test_probability_is_in_0_1_and_falls_with_the_threshold():
    y = np.full(50, 2_000_000.0)
    thresholds = np.linspace(1_000_000, 3_500_000, 50)
    p = alerts.exceedance_probability(y, y * 0.9, y * 1.1, y * 0.85, y * 1.16, thresholds)
    assert ((p >= 0) & (p <= 1)).all()
    assert (np.diff(p) <= 0).all() and p[0] > 0.99 and p[-1] < 0.01
    # lognormal bounds give back their own quantiles
    sigma = 0.1
    lo80, hi80 = 2e6 * np.exp(-1.2816 * sigma), 2e6 * np.exp(1.2816 * sigma)
    lo95, hi95 = 2e6 * np.exp(-1.96 * sigma), 2e6 * np.exp(1.96 * sigma)
    at = alerts.exceedance_probability([2e6] * 3, [lo80] * 3, [hi80] * 3, [lo95] * 3, [hi95] * 3, [2e6, hi80, hi95])
    assert at == pytest.approx([0.5, 0.1, 0.025], abs=1e-3)
    # a point forecast (no interval) is a step
    assert alerts.exceedance_probability([2e6, 2e6], threshold=[1.9e6, 2.1e6]).tolist() == [1.0, 0.0]


def test_relative_rules_use_the_seasons_window():
    from forecast import calendar

    s = calendar.season(2026)
    days = (s.chunyun_end - s.chunyun_start).days + 1
    values = np.full(days, 1_000_000.0)
    values[20:23] = [1_600_000, 1_700_000, 1_800_000]  # the top three
    values[10] = 1_300_000  # +30 % on the day before, then -23 %
    th = alerts.Thresholds.from_dict({"defaults": {"relative": {
        "p90": {"level": "blue", "quantile": 0.9}, "top": {"level": "yellow", "n": 3},
        "jump": {"level": "orange", "pct": 25}}}})
    out = alerts.compute_alerts(frame(values, start=s.chunyun_start.isoformat()), s.chunyun_start, days, thresholds=th)
    by_rule = {rule: list(g["date"].dt.strftime("%m-%d")) for rule, g in out.groupby("rule")}
    top_days = [d.strftime("%m-%d") for d in pd.date_range(s.chunyun_start, periods=23)[20:23]]
    assert by_rule["top3"] == top_days
    assert set(top_days) <= set(by_rule["p90"])
    jump_days = by_rule["jump"]
    assert pd.Timestamp(s.chunyun_start + pd.Timedelta(days=10)).strftime("%m-%d") in jump_days
    assert pd.Timestamp(s.chunyun_start + pd.Timedelta(days=20)).strftime("%m-%d") in jump_days
    assert set(out.loc[out["rule"] == "jump", "level"]) == {"orange"}
    top = out[out["rule"] == "top3"]
    assert (top["threshold"] == 1_300_000).all()  # the 4th highest day
    # outside the Chunyun window the relative rules stay quiet
    summer = alerts.compute_alerts(frame(values, start="2026-07-01"), "2026-07-01", days, thresholds=th)
    assert summer.empty


def test_bad_arguments():
    fc = frame([1.0])
    with pytest.raises(InvalidInput):
        alerts.compute_alerts(fc, "2026-02-02", 1, min_level="purple")
    with pytest.raises(Unprocessable):
        alerts.compute_alerts(fc, "2026-02-02", 401)
    assert alerts.parse_level("红色") == "red" and alerts.parse_level("黄") == "yellow"


def test_the_window_rule_and_the_days_check():
    from forecast import calendar

    s = calendar.season(2026)
    length = (s.chunyun_end - s.chunyun_start).days + 1
    assert alerts.default_window(season=2026) == (s.chunyun_start, length)
    assert alerts.resolve_window(None, None, 2026) == (s.chunyun_start, length)
    assert alerts.resolve_window(None, 7, 2026) == (s.chunyun_start, 7)
    assert alerts.resolve_window("2026-01-20", None, 2026) == ("2026-01-20", alerts.DEFAULT_DAYS)
    assert alerts.resolve_window("2026-01-20", 5) == ("2026-01-20", 5)
    with pytest.raises(TypeError):
        alerts.resolve_window(None, None)  # neither a season nor a run
    assert alerts.check_days(1) == 1 and alerts.check_days(alerts.MAX_DAYS) == alerts.MAX_DAYS
    for bad in (0, -3, alerts.MAX_DAYS + 1, True, 2.0):
        with pytest.raises(Unprocessable, match="out of range"):
            alerts.check_days(bad)


def test_at_least_and_fail_level():
    out = alerts.compute_alerts(frame([1_800_000, 2_100_000, 2_500_000]), "2026-02-02", 3, thresholds=ONLY_ABSOLUTE)
    assert list(alerts.at_least(out, None)["level"]) == ["yellow", "orange", "red"]
    assert list(alerts.at_least(out, "orange")["level"]) == ["orange", "red"]
    assert alerts.fail_level_reached(out, "红") and not alerts.fail_level_reached(out.iloc[:2], "red")
    assert not alerts.fail_level_reached(out.iloc[:0], "blue")


def test_thresholds_version_follows_the_file(tmp_path):
    path = tmp_path / "alerts.yaml"
    path.write_text(f"series:\n  {JX_HW}:\n    absolute: {{red: 2400000}}\n", encoding="utf-8")
    first = alerts.load_thresholds(path)
    assert first.version == (str(path), path.stat().st_mtime_ns) and hash(first.version)
    assert alerts.load_thresholds(path).version == first.version
    path.write_text(f"series:\n  {JX_HW}:\n    absolute: {{red: 3000000}}\n", encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, first.version[1] + 1_000_000))
    second = alerts.load_thresholds(path)
    assert second.version != first.version and second.for_series(JX_HW).absolute == {"red": 3_000_000}
    assert ONLY_ABSOLUTE.version is None


def test_endpoint_answers_from_changed_thresholds(client, tmp_path, monkeypatch):
    path = tmp_path / "alerts.yaml"
    path.write_text(f"series:\n  {JX_HW}:\n    absolute: {{red: 2400000}}\n", encoding="utf-8")
    monkeypatch.setattr(alerts, "default_path", lambda: path)
    query = {"region": "jiangxi", "min_level": "red"}
    before = client.get("/v1/alerts", query_string=query).get_json()["alerts"]
    assert before and {a["unique_id"] for a in before} == {JX_HW}
    path.write_text(f"series:\n  {JX_HW}:\n    absolute: {{red: 1000000000}}\n", encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert client.get("/v1/alerts", query_string=query).get_json()["alerts"] == []


def test_the_synthetic_run_raises_red_where_it_exceeds_red(run_dir):
    run = runs.Run.open(run_dir)
    out = alerts.run_alerts(run, region="jiangxi")
    red = out[(out["unique_id"] == JX_HW) & (out["rule"] == "level") & (out["level"] == "red")]
    fc = run.forecast(JX_HW, "2026-02-02", "2026-03-13")
    over = fc[fc["yhat"] >= 2_400_000]
    assert not over.empty and list(red["date"]) == list(over["ds"])
    assert ((out["probability"] >= 0) & (out["probability"] <= 1)).all()


# ------------------------------------------------------------------------------------- the CLI

def cli_json(capsys, *argv) -> tuple[int, dict]:
    code = main(["alerts", *argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


def key(rows) -> set:
    return {(r["date"], r["unique_id"], r["rule"], r["level"], round(r["probability"], 9)) for r in rows}


@pytest.mark.parametrize("query", [
    [],
    ["--region", "jiangxi"],
    ["--from", "2026-02-15", "--days", "10", "--min-level", "orange"],
    ["--from", "2025-01-14", "--days", "40", "--region", "national"],
])
def test_cli_and_endpoint_give_the_same_alerts(client, capsys, query):
    code, cli = cli_json(capsys, *query)
    assert code == 0
    names = {"--from": "from", "--days": "days", "--region": "region", "--min-level": "min_level"}
    params = {names[query[i]]: query[i + 1] for i in range(0, len(query), 2)}
    api = client.get("/v1/alerts", query_string=params).get_json()
    assert cli["alerts"] and key(cli["alerts"]) == key(api["alerts"])
    assert {k: cli[k] for k in ("run_id", "from", "days")} == {k: api[k] for k in ("run_id", "from", "days")}


def test_cli_fail_on_exit_codes(run_dir, capsys, caplog):
    assert main(["alerts", "--region", "jiangxi", "--fail-on", "red"]) == 3
    assert main(["alerts", "--region", "jiangxi", "--fail-on", "红"]) == 3
    assert main(["alerts", "--region", "jiangxi", "--min-level", "red", "--fail-on", "blue"]) == 3
    assert main(["alerts", "--from", "2025-07-01", "--days", "30", "--fail-on", "blue"]) == 0
    assert main(["alerts", "--from", "2026-02-02", "--days", "3", "--region", "jiangxi", "--fail-on", "red"]) == 0
    assert main(["alerts", "--fail-on", "purple"]) == 2
    assert main(["alerts", "--from", "2026-02-30"]) == 2
    err = capsys.readouterr().err
    assert "unknown alert level 'purple'" in err and "is not a date" in err
    assert "an alert at red or above exists (--fail-on red)" in caplog.text


def test_cli_text_and_csv(run_dir, capsys):
    assert main(["alerts", "--region", "jiangxi", "--min-level", "red"]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0].startswith(f"{text.count('红色')} alert(s) from 2026-02-02 for 40 days in jiangxi")
    assert main(["alerts", "--from", "2026-02-20", "--days", "2", "--csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split(",")[:6] == ["date", "unique_id", "region", "metric", "rule", "level"]


def test_cli_without_a_run(var_dir, capsys):
    assert main(["alerts"]) == 2
    assert "no trained run" in capsys.readouterr().err


def test_cli_cutoff_checks_days_before_fitting(var_dir, capsys):
    """An out-of-range --days is refused before the store is read or any series fitted."""
    assert main(["alerts", "--cutoff", "2025-01-31", "--days", "401"]) == 2
    err = capsys.readouterr().err
    assert "days 401 is out of range" in err and "no stored series" not in err


@pytest.mark.slow
def test_cli_cutoff_forecasts_live_from_the_store(var_dir, capsys):
    """--cutoff: no run needed; the engine fits the stored sample up to the cutoff (nowcast as_of)."""
    from forecast import settings
    from forecast.store import Store

    sample = pd.read_csv(Path(settings.load()["data_dir"]) / "sample" / "history.csv.gz", parse_dates=["ds"])
    rows = sample[(sample["unique_id"] == JX_HW) & (sample["ds"] >= "2021-01-01") & (sample["ds"] <= "2025-02-10")]
    Store().write(rows.assign(source="sample"))
    code, out = cli_json(capsys, "--cutoff", "2025-01-31", "--region", "jiangxi", "--from", "2025-02-01", "--days", "7")
    assert code == 0 and out["run_id"] is None and out["cutoff"] == "2025-01-31" and out["data_kind"] == "sample"
    assert out["from"] == "2025-02-01" and out["days"] == 7
    assert {a["unique_id"] for a in out["alerts"]} <= {JX_HW}
    assert all(0 <= a["probability"] <= 1 and "2025-02-01" <= a["date"] <= "2025-02-07" for a in out["alerts"])
