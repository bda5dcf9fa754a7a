"""One data-kind rule (forecast/provenance.py) and every place that shows it."""

from __future__ import annotations

import pandas as pd
import pytest

from forecast import briefing, provenance
from forecast.plots import data_tag
from forecast.store import kind_of_sources


@pytest.mark.parametrize(("source", "kind"), [("sample", "sample"), ("real:d2025-01-14-x-a1", "real"),
                                              ("derived:d2024-01-26-x-d1", "derived"), ("mine.csv", "user"),
                                              ("api", "user")])
def test_source_kind(source, kind):
    assert provenance.source_kind(source) == kind


@pytest.mark.parametrize(("sources", "kind"), [({"sample"}, "sample"), ({"sample", "real:a"}, "mixed"),
                                               ({"real:a", "derived:b", "mine.csv"}, "real"), (set(), None)])
def test_data_kind_and_the_stores_rule_agree(sources, kind):
    assert provenance.data_kind(sources) == kind
    assert kind_of_sources(sources) == (kind or "real")


def test_combined_kinds():
    assert provenance.combined(["real", "real", None]) == "real"
    assert provenance.combined(["real", "sample"]) == "mixed"
    assert provenance.combined([None]) is None


def test_a_mixed_history_is_never_tagged_real():
    frame = pd.DataFrame({"unique_id": "u", "ds": pd.date_range("2025-01-01", periods=2), "y": 1.0,
                          "source": ["sample", "real:x"]})
    assert data_tag(frame) == "MIXED: REAL + SAMPLE"
    assert data_tag(frame.assign(source="sample")) == "SAMPLE"
    assert data_tag(frame.assign(source="real:x")) == "REAL"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_briefing_says_what_it_rests_on(lang):
    mixed = briefing.data_lines({"data_kind": "mixed", "actuals_kind": "real"}, lang)
    assert any(("mixed" in line) or ("混合" in line) for line in mixed)
    assert (briefing.MIXED_NOTE_ZH if lang == "zh" else briefing.MIXED_NOTE_EN) in mixed
    sample = briefing.data_lines({"data_kind": "sample", "actuals_kind": None}, lang)
    assert (briefing.SAMPLE_NOTE_ZH if lang == "zh" else briefing.SAMPLE_NOTE_EN) in sample
    real = briefing.data_lines({"data_kind": "real", "actuals_kind": "real"}, lang)
    assert len(real) == 1  # no caveat for real data


def test_kind_counts_add_the_rows_of_each_source_kind_in_a_fixed_order():
    counts = {"real:d1": 1, "sample": 30, "derived:x": 2, "real:d2": 1, "ops.csv": 4, "api": 1}
    assert provenance.kind_counts(counts) == "sample 30; real 2; derived 2; user 5"
    assert provenance.kind_counts({"real:d1": 3}) == "real 3"
    assert provenance.kind_counts({}) == ""
