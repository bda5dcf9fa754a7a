"""The curation of the published reference figures: raw inputs in ``raw/``, outputs in ``data/reference/``.

    python -m tools.reference.curate        # data/reference/figures.csv
    python -m tools.reference.curate_days   # data/reference/days.csv, holidays.csv, provinces.csv
"""
