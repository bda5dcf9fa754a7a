"""Runs: list them, show the live one, retrain in the background (POST), follow a job."""

from flask import Blueprint, current_app

from api import retrain
from api.auth import write_access
from api.responses import json_response, live, settings
from api.schemas import route
from api.validation import params
from forecast import runs

bp = Blueprint("runs", __name__)


@route(bp, "list_runs")
def list_runs():
    params("list_runs")
    return json_response({"runs": runs.list_runs(settings()["var_dir"])})


@route(bp, "current_run")
def current_run():
    params("current_run")
    return json_response({**live().manifest, "current": True})


@route(bp, "create_run")
@write_access
def create_run():
    params("create_run")
    job = retrain.start(settings(), current_app.config["TRAIN_TARGET"])
    return json_response(job, status=202, headers={"Location": job["status_url"]})


@route(bp, "run_job")
def run_job(job_id: str):
    q = params("run_job", path={"job_id": job_id})
    return json_response(retrain.job_status(settings(), q["job_id"]))
