"""A run trained on the default data (real days + sample): the scorecard, kinds, vintages, CLI and API.

One training for the module (national and two Jiangxi series, about a minute): what the
real-days issue's acceptance reads, measured on what ``train`` writes rather than on a copy.
"""

from __future__ import annotations

import json
import os

import pytest

from forecast import defaults, realdays, runs
from forecast.store import Store

pytestmark = pytest.mark.slow
NAT = "national/cross_regional_trips"
UIDS = [f"national/{m}" for m in ("cross_regional_trips", "rail_passengers", "road_passengers", "selfdrive_trips",
                                  "air_passengers", "water_passengers")] + ["jiangxi/highway_exit_vehicles",
                                                                            "jiangxi/cross_regional_trips"]


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    var = tmp_path_factory.mktemp("real-run")
    old = {k: os.environ.get(k) for k in ("CHUNYUN_VAR_DIR", "CHUNYUN_DATABASE_URL")}
    os.environ["CHUNYUN_VAR_DIR"] = str(var)
    os.environ.pop("CHUNYUN_DATABASE_URL", None)
    try:
        from forecast.train import train

        store = Store()
        defaults.load_defaults(store)
        train(history=store.read(UIDS), var_dir=var, workers=2, progress=False)
        yield runs.current_run(var)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _chosen(card: dict, uid: str, season: int) -> dict:
    rows = [r for r in card["real"] if r["unique_id"] == uid and r["season"] == season and r["chosen"]]
    assert len(rows) == 1, rows
    return rows[0]


def test_2025_is_scored_on_its_40_real_days_and_the_chosen_model_beats_the_naive(real_run):
    card = real_run.scorecard
    row = _chosen(card, NAT, 2025)
    assert (row["days_real"], row["days_derived"]) == (40, 0)
    choice = card["selection"][NAT]["2025"]
    assert row["model"] == choice["model"] and "2024" in choice["reason"]  # chosen on 2024's real days only
    assert row["mape"] < row["naive_mape"]  # below the lunar copy of real 2024 at the model's own total
    assert 28 <= row["inside_80"] <= 36  # the 80% band, calibrated on 2024's real-day errors
    assert abs(row["peak_day_error"]) <= 1 and abs(row["peak_value_error_pct"]) <= 5
    assert row["actual_total"] == pytest.approx(90.21e8, rel=1e-3)
    models = {r["model"] for r in card["real"] if r["unique_id"] == NAT and r["season"] == 2025}
    assert models == {"lunar_real", "real_anchored", "real_blend", "hybrid"}


def test_one_day_ahead_sits_beside_the_ministrys_same_day_estimates(real_run):
    ahead = next(r for r in real_run.scorecard["one_day_ahead"] if r["unique_id"] == NAT and r["season"] == 2025)
    est = realdays.same_day_estimates(season=2025, unique_id=NAT).dropna(subset=["y_estimate", "y_actual"])
    both = est
    assert ahead["ministry_days"] == len(both) == 10
    want = float(((both["y_estimate"] / both["y_actual"] - 1).abs()).mean() * 100)
    assert ahead["ministry_mape"] == pytest.approx(want, abs=1e-3)
    assert ahead["model_mape_on_ministry_days"] > 0 and ahead["days"] == 40


def test_nowcast_after_10_20_30_days_reports_the_rest_and_the_total(real_run):
    after = {r["after_days"]: r for r in real_run.scorecard["nowcast"] if r["unique_id"] == NAT and r["season"] == 2025}
    assert set(after) == {10, 20, 30}
    assert [after[k]["remaining_days"] for k in (10, 20, 30)] == [30, 20, 10]
    assert after[20]["as_of"] == "2025-02-02" and after[20]["total_error_pct"] is not None


def test_vintages_start_on_the_eve_and_end_with_the_outturn_nearly_known(real_run):
    trail = [r for r in real_run.scorecard["vintages"] if r["unique_id"] == NAT and r["season"] == 2025]
    assert trail[0]["as_of"] is None and trail[1]["as_of"] == "2025-01-14" and trail[-1]["as_of"] == "2025-02-21"
    assert len(trail) == 40
    last = trail[-1]
    assert last["total"] == pytest.approx(last["actual_total"], rel=0.01)  # 39 of 40 days known
    assert abs(trail[0]["total"] / trail[0]["actual_total"] - 1) > abs(last["total"] / last["actual_total"] - 1)


def test_summaries_tell_the_fitted_history_from_the_seasons_actuals(real_run):
    nat = real_run.summary("national", 2025)
    assert nat["data_kind"] == "mixed" and nat["actuals_kind"] == "real"
    for metric in ("cross_regional_trips", "rail_passengers", "road_passengers", "selfdrive_trips", "air_passengers",
                   "water_passengers"):
        assert nat["metrics"][metric]["history_kind"] == "mixed", metric
        assert nat["metrics"][metric]["actuals_kind"] == "real", metric
    jx = real_run.summary("jiangxi", 2025)
    assert jx["data_kind"] == jx["actuals_kind"] == "sample"
    assert {m["history_kind"] for m in jx["metrics"].values()} == {"sample"}


def test_the_forward_seasons_are_forecast_by_the_model_chosen_for_them(real_run):
    """The served 2026 and 2027 forecasts come from the daily model chosen on the real seasons
    before them (2024 and 2025), with its calibrated sigma, not from the engine's default: the
    summary's model, the stored rows and the manifest say the same model."""
    details = real_run.manifest["model_details"]
    for uid in UIDS:
        region, metric = uid.split("/")
        for season in (2026, 2027):
            chosen = details[uid]["daily_choice"][str(season)]["model"]
            model = real_run.summary(region, season)["metrics"][metric]["model"]
            assert model.split("+")[0] == chosen, (uid, season, model, chosen)
            rows = real_run.forecasts
            served = rows[(rows["unique_id"] == uid) & (rows["season"] == season)]["model"].unique()
            assert {m.split("+")[0] for m in served} == {chosen}, (uid, season, served)
    nat = details[NAT]["daily_choice"]["2026"]
    assert nat["model"] != "hybrid" and "2024, 2025" in nat["reason"]  # a real-day model, so the check bites


def test_the_modes_season_totals_follow_the_rule_chosen_on_the_real_seasons_before(real_run):
    """National 2025 keeps each mode's own total (2024 alone did not favour the shares); 2026 splits
    the total by 2025's real shares, and a live summary at the run's cutoff says the same."""
    from forecast import mode_totals
    from forecast.engine import summarize
    from forecast.registry import MODES

    rules = real_run.manifest["mode_totals"]["national"]
    assert rules["2025"]["rule"] == "own" and "2024" in rules["2025"]["reason"] and "2025" not in rules["2025"]["reason"]
    assert rules["2026"]["rule"] == "share" and rules["2026"]["scores"]["share"] < rules["2026"]["scores"]["own"]
    assert {r["rule"] for r in real_run.manifest["mode_totals"]["jiangxi"].values()} == {"own"}  # nothing real there
    s2025 = real_run.summary("national", 2025)["metrics"]
    assert not any(s2025[m]["model"].endswith("+share") for m in MODES)
    s2026 = real_run.summary("national", 2026)["metrics"]
    history = Store().read(UIDS)
    real_2025 = {m: history[(history["unique_id"] == f"national/{m}") & (history["ds"].between("2025-01-14", "2025-02-22"))]["y"].sum()
                 for m in MODES}
    for m in MODES:
        assert s2026[m]["model"].endswith("+share"), m
        share = real_2025[m] / sum(real_2025.values())
        # within 0.1%: the day-by-day top-down step after the shares moves each mode's total a little
        assert s2026[m]["total"] / s2026["cross_regional_trips"]["total"] == pytest.approx(share, rel=1e-3), m
    assert real_run.mode_rule("national", 2026) == "share" and real_run.mode_rule("jiangxi") == mode_totals.DEFAULT
    live = summarize(history, "national", 2026, real_run.manifest["cutoff"], workers=1, mode_rule="share",
                     choices={u: real_run.choice(u, 2026) for u in UIDS if u.startswith("national/")})
    for m in MODES:
        assert live["metrics"][m]["total"] == pytest.approx(s2026[m]["total"], rel=1e-9), m


def test_every_forecast_says_what_its_own_series_rests_on(real_run, monkeypatch):
    """The run holds real national days and Jiangxi's sample: a Jiangxi forecast or alert says
    ``sample``, a national one ``mixed``, not the run's kind for both."""
    from api import create_app

    assert real_run.manifest["data_kind"] == "mixed"
    assert real_run.kind_of(NAT) == "mixed" and real_run.kind_of("jiangxi/cross_regional_trips") == "sample"
    assert real_run.region_kind("jiangxi") == "sample" and real_run.region_kind("national") == "mixed"
    monkeypatch.setenv("CHUNYUN_VAR_DIR", str(real_run.path.parent.parent))
    client = create_app({"TESTING": True}).test_client()
    jx = client.get("/v1/forecasts?unique_id=jiangxi/highway_exit_vehicles&season=2026").get_json()
    assert jx["data_kind"] == "sample" and len(jx["rows"]) == 40
    assert client.get(f"/v1/forecasts?unique_id={NAT}&season=2026").get_json()["data_kind"] == "mixed"
    assert client.get("/v1/alerts?region=jiangxi").get_json()["data_kind"] == "sample"
    assert client.get("/v1/alerts").get_json()["data_kind"] == "mixed"


def test_the_cli_and_the_api_serve_the_runs_scorecard(real_run, capsys, monkeypatch):
    from api import create_app
    from forecast.cli import main

    monkeypatch.setenv("CHUNYUN_VAR_DIR", str(real_run.path.parent.parent))
    assert main(["scorecard", "--season", "2025", "--unique-id", NAT, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["run_id"] == real_run.id and {r["season"] for r in out["real"]} == {2025}
    assert main(["vintages", "--season", "2025", "--csv"]) == 0
    assert capsys.readouterr().out.splitlines()[0].startswith("unique_id,season,model,as_of,total")
    assert main(["vintages", "--season", "2025"]) == 0
    text = capsys.readouterr().out.splitlines()
    assert "outturn 902,107万" in text[0] and text[2].startswith("eve ") and "e+09" not in "".join(text)
    client = create_app({"TESTING": True}).test_client()
    body = client.get(f"/v1/scorecard?season=2025&unique_id={NAT}").get_json()
    assert body["real"] == out["real"]
    page = client.get("/?region=national&season=2025").get_data(as_text=True)
    assert 'id="scorecard"' in page and 'id="vintages"' in page and "real_anchored" in page


def test_what_train_writes_is_what_the_api_documents(real_run):
    """The summaries and the scorecard of a real run against the OpenAPI schemas the API publishes
    (the synthetic run of conftest is a hand-written copy; this is the thing itself)."""
    import jsonschema

    from api.schemas import openapi

    doc = openapi()

    def check(name: str, instance) -> None:
        jsonschema.validate(instance, {"$ref": f"#/components/schemas/{name}", "components": doc["components"]})

    for region, seasons in real_run.summaries.items():
        for summary in seasons.values():
            check("Summary", summary)
            assert set(summary["metrics"]) and all("history_kind" in m for m in summary["metrics"].values()), region
    check("Scorecard", {"run_id": real_run.id, **real_run.scorecard})


def test_the_synthetic_run_of_the_api_tests_has_the_shape_train_writes(real_run):
    """conftest's synthetic summaries stand in for a run in the fast API tests: they must carry
    exactly the fields train writes (top level and per metric), or those tests test a copy."""
    from conftest import synthetic_forecasts, synthetic_summaries

    fake = synthetic_summaries(synthetic_forecasts(1.0), "sample", "synthetic")
    real = next(iter(next(iter(real_run.summaries.values())).values()))
    made = next(iter(next(iter(fake.values())).values()))
    assert set(made) == set(real)
    assert set(next(iter(made["metrics"].values()))) == set(next(iter(real["metrics"].values())))


def test_one_default_season_for_the_cli_the_api_the_alerts_and_the_page(real_run, capsys, monkeypatch):
    """The season a question without one is about: the run's first forward season (2026 here), not the
    newest one it summarises (2027) — the CLI, the forecasts and alerts endpoints and the page agree."""
    from api import create_app
    from forecast import calendar
    from forecast.cli import main

    assert real_run.manifest["forward_seasons"][:2] == [2026, 2027] and real_run.default_season == 2026
    start = calendar.season(2026).chunyun_start.isoformat()
    monkeypatch.setenv("CHUNYUN_VAR_DIR", str(real_run.path.parent.parent))
    assert main(["forecast", "--unique-id", NAT, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["ds"] == start and len(rows) == 40
    client = create_app({"TESTING": True}).test_client()
    assert client.get(f"/v1/forecasts?unique_id={NAT}").get_json()["start"] == start
    assert client.get("/v1/alerts?region=national").get_json()["from"] == start
    page = client.get("/?region=national").get_data(as_text=True)
    assert "2026 年春运" in page
