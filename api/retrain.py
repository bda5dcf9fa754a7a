"""Retraining in the background for ``POST /v1/runs``, one job at a time across all workers.

The request takes an exclusive ``flock`` on ``<var_dir>/train.lock`` without waiting (busy → 409),
writes ``<var_dir>/jobs/<job_id>.json`` and starts ``python -m api.retrain`` with the locked file
descriptor inherited: the lock then lives exactly as long as the training process, whichever
gunicorn worker started it and even if that worker is recycled. The child calls the same train
function as ``chunyun train`` (``forecast.train.train``), which publishes the run atomically
(``forecast.runs.publish``); every worker's ``CurrentRunCache`` picks it up on its next request.

Job ids are generated here; a status request's id is matched against the files in ``jobs/``,
never joined into a path.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import importlib
import json
import logging
import os
import re
import subprocess
import sys
import threading
import traceback
import uuid
from datetime import UTC, datetime
from pathlib import Path

from forecast.errors import ChunyunError, Conflict, NotFound

log = logging.getLogger("api.retrain")

DEFAULT_TARGET = "api.retrain:default_train"
LOCK_NAME = "train.lock"
JOBS_DIR = "jobs"
JOB_ID = re.compile(r"^[0-9a-f]{32}$")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def status_url(job_id: str) -> str:
    return f"/v1/runs/jobs/{job_id}"


TRAIN_WORKERS = 1  # leave a core to the API workers; the child also runs at lower priority (nice)


def default_train() -> Path:
    """``chunyun train`` with its defaults (the configured store, cutoff = data end), on one process."""
    from forecast import train as training

    return training.train(workers=TRAIN_WORKERS)


def _running_job(var_dir: Path) -> str | None:
    try:
        text = (var_dir / LOCK_NAME).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text if JOB_ID.match(text) else None


def start(settings: dict, target: str = DEFAULT_TARGET) -> dict:
    """Start a training job; raises Conflict (409) while another one holds the lock."""
    var_dir = Path(settings["var_dir"])
    jobs = var_dir / JOBS_DIR
    jobs.mkdir(parents=True, exist_ok=True)
    fd = os.open(var_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            running = _running_job(var_dir)
            raise Conflict("a retraining job is already running",
                           hint=f"poll {status_url(running)} and retry when it has finished" if running
                           else "retry when the current training has finished") from None
        job_id = uuid.uuid4().hex
        os.ftruncate(fd, 0)
        os.pwrite(fd, job_id.encode("ascii"), 0)
        job = {"job_id": job_id, "status": "running", "status_url": status_url(job_id), "started_at": _now(),
               "finished_at": None, "run_id": None, "error": None}
        _write_json(jobs / f"{job_id}.json", job)
        env = dict(os.environ)
        env["CHUNYUN_VAR_DIR"] = str(var_dir)
        for key in ("data_dir", "database_url"):
            if settings.get(key):
                env[f"CHUNYUN_{key.upper()}"] = str(settings[key])
        log_file = open(jobs / f"{job_id}.log", "ab")  # noqa: SIM115 - handed to the child
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "api.retrain", "--job", job_id, "--lock-fd", str(fd), "--target", target],
                pass_fds=(fd,), env=env, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                start_new_session=True, cwd=str(Path(__file__).resolve().parents[1]),
            )
        except OSError as err:
            _write_json(jobs / f"{job_id}.json", {**job, "status": "failed", "finished_at": _now(),
                                                   "error": f"could not start the trainer: {err}"})
            raise
        finally:
            log_file.close()
        threading.Thread(target=proc.wait, name=f"reap-{job_id[:8]}", daemon=True).start()
        log.info("retrain job %s started (pid %d)", job_id, proc.pid)
        return job
    finally:
        os.close(fd)  # the child holds its own descriptor of the locked file


def job_status(settings: dict, job_id: str) -> dict:
    """A job's status; a job marked running whose process is gone is reported failed."""
    var_dir = Path(settings["var_dir"])
    jobs = var_dir / JOBS_DIR
    match = None
    if jobs.is_dir():
        match = next((p for p in jobs.iterdir() if p.suffix == ".json" and p.stem == job_id), None)
    if match is None:
        raise NotFound(f"no retraining job {job_id}", hint="POST /v1/runs starts one and returns its status URL")
    job = json.loads(match.read_text(encoding="utf-8"))
    if job.get("status") == "running" and not _lock_held(var_dir):
        job = json.loads(match.read_text(encoding="utf-8"))  # it may have finished meanwhile
        if job.get("status") == "running":
            job.update(status="failed", error="the training process ended without reporting; see its log in var/jobs/")
    return job


def _lock_held(var_dir: Path) -> bool:
    try:
        fd = os.open(var_dir / LOCK_NAME, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def _load_target(spec: str):
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def main(argv: list[str] | None = None) -> int:
    """The training process: run the target, record the outcome in the job file, exit (unlocks)."""
    parser = argparse.ArgumentParser(prog="python -m api.retrain")
    parser.add_argument("--job", required=True)
    parser.add_argument("--lock-fd", type=int, required=True)
    parser.add_argument("--target", default=DEFAULT_TARGET)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    from forecast import settings

    path = Path(settings.load()["var_dir"]) / JOBS_DIR / f"{args.job}.json"
    job = json.loads(path.read_text(encoding="utf-8"))
    with contextlib.suppress(OSError):
        os.nice(10)  # serving requests comes first
    try:
        result = _load_target(args.target)()
        run_id = Path(result).name if result else None
        job.update(status="succeeded", finished_at=_now(), run_id=run_id)
        log.info("retrain job %s: published run %s", args.job, run_id)
        code = 0
    except ChunyunError as err:
        job.update(status="failed", finished_at=_now(), error=str(err))
        log.error("retrain job %s failed: %s", args.job, err)
        code = 1
    except Exception as err:  # noqa: BLE001 - report any failure in the job file, details in the log
        traceback.print_exc()
        job.update(status="failed", finished_at=_now(), error=f"{type(err).__name__}: {err}")
        code = 1
    _write_json(path, job)
    os.close(args.lock_fd)
    return code


if __name__ == "__main__":
    sys.exit(main())
