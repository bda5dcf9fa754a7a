"""Station forecasts reconciled with the province forecast, with hierarchicalforecast.

The hierarchy has two levels: the province (``jiangxi/highway_exit_vehicles``, the forecast the
service publishes) and its stations. :func:`reconcile` runs one of :data:`METHODS` (the sparse
reconcilers of hierarchicalforecast, which keep the summing matrix sparse: 10,000 stations need no
dense 10k x 10k matrix) on each day of a target season, and scales every station's intervals by
the same ratio as its point forecast (reconciled / base).

- ``top_down``: ``TopDownSparse(method="forecast_proportions")``: the published province forecast
  is split in proportion to the stations' base forecasts; it keeps the province as published.
- ``bottom_up``: the province becomes the sum of the stations' base forecasts.
- ``mint_ols``, ``mint_wls_struct``: ``MinTraceSparse`` (OLS, structural weights): both levels move.

Which one is used is chosen by the station backtest (:func:`forecast.stations.pipeline.choose`):
the lowest station MAPE among the methods that keep the published province forecast (``top_down``
is the only one of these that does by construction; the others are measured beside it).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from forecast.errors import InvalidInput

METHODS = ("top_down", "bottom_up", "mint_ols", "mint_wls_struct")
KEEPS_PROVINCE = ("top_down",)
CHOSEN = "top_down"  # the backtest's choice on the sample (BENCHMARKS.md "Stations"); train re-checks it
SCALED = ("yhat_lower_80", "yhat_upper_80", "yhat_lower_95", "yhat_upper_95")


def _reconciler(method: str):
    from hierarchicalforecast.methods import BottomUpSparse, MinTraceSparse, TopDownSparse

    if method == "top_down":
        return TopDownSparse(method="forecast_proportions")
    if method == "bottom_up":
        return BottomUpSparse()
    if method == "mint_ols":
        return MinTraceSparse(method="ols")
    if method == "mint_wls_struct":
        return MinTraceSparse(method="wls_struct")
    raise InvalidInput(f"unknown reconciliation method {method!r}", hint=f"methods: {', '.join(METHODS)}")


def reconcile(stations: pd.DataFrame, province: pd.DataFrame, province_uid: str, method: str = CHOSEN
              ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reconcile the base station forecasts of one target (``unique_id, ds, yhat`` + interval
    columns) with the province forecast (``ds, yhat``).

    Returns ``(stations, province)``: the stations with reconciled ``yhat`` and scaled intervals
    (plus ``base_yhat``), and the reconciled province ``ds, yhat``.
    """
    from hierarchicalforecast.core import HierarchicalReconciliation
    from hierarchicalforecast.utils import SMatrix
    from scipy import sparse

    if stations.empty:
        return stations.assign(base_yhat=stations["yhat"]), province[["ds", "yhat"]].copy()
    st = stations.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
    ids = np.array(sorted(st["unique_id"].unique()), dtype=object)
    days = np.sort(st["ds"].unique().astype("datetime64[ns]"))
    prov = province.set_index("ds")["yhat"].reindex(days)
    if prov.isna().any():
        raise InvalidInput(f"the province forecast misses {int(prov.isna().sum())} of the stations' days")
    # every station on every day (a station opened mid-season has zeros before it opened)
    full = pd.MultiIndex.from_product([ids, days], names=["unique_id", "ds"])
    base = st.set_index(["unique_id", "ds"])["yhat"].reindex(full, fill_value=0.0)
    n = len(ids)
    s_matrix = sparse.vstack([sparse.csr_matrix(np.ones((1, n))), sparse.identity(n, format="csr")])
    smat = SMatrix(s_matrix, np.concatenate([[province_uid], ids]), ids)
    y_hat = pd.DataFrame({"unique_id": np.concatenate([np.repeat(province_uid, len(days)), base.index.get_level_values(0)]),
                          "ds": np.concatenate([days, base.index.get_level_values(1).to_numpy(dtype="datetime64[ns]")]),
                          "yhat": np.concatenate([prov.to_numpy(dtype=float), base.to_numpy(dtype=float)])})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = HierarchicalReconciliation([_reconciler(method)]).reconcile(
            Y_hat_df=y_hat, tags={"province": np.array([province_uid]), "province/station": ids}, S_df=smat)
    col = next(c for c in out.columns if c.startswith("yhat/"))
    rec = out.set_index(["unique_id", "ds"])[col]
    prov_rec = rec.loc[province_uid].reindex(days)
    st_rec = rec.reindex(pd.MultiIndex.from_frame(st[["unique_id", "ds"]])).to_numpy(dtype=float)
    base_y = st["yhat"].to_numpy(dtype=float)
    ratio = np.where(base_y > 0, st_rec / np.where(base_y > 0, base_y, 1.0), 0.0)
    result = st.copy()
    result["base_yhat"] = base_y
    result["yhat"] = np.maximum(st_rec, 0.0)
    for c in SCALED:
        if c in result.columns:
            result[c] = result[c].to_numpy(dtype=float) * np.maximum(ratio, 0.0)
    return result, pd.DataFrame({"ds": days, "yhat": prov_rec.to_numpy(dtype=float)})


def coherence_error(stations: pd.DataFrame, province: pd.DataFrame) -> float:
    """Largest relative difference, over the days, between the stations' sum and the province."""
    total = stations.groupby("ds")["yhat"].sum()
    prov = province.set_index("ds")["yhat"].reindex(total.index)
    return float((np.abs(total - prov) / prov.abs().clip(lower=1e-12)).max()) if len(total) else 0.0
