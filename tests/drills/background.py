"""The fault drills run beside the rest of the suite, from its start, instead of inside a worker.

drills/run.py spends half its time waiting: for Redis to stop and start, for a worker to come
back, for retries a second or more apart. Run inside a pytest worker, that worker sat idle for it,
about two minutes under load. Started as soon as the run knows it holds the drill tests (the first
worker's collection under xdist, the collection itself without it), the drills fill the cores the
workers leave, and their tests, sorted last, read what the run wrote.

The process that starts the drills (the xdist controller, or pytest itself) and the workers that run
their tests share a directory, named in an environment variable the workers inherit:
`figures.json` is what drills/run.py wrote, `exit` its exit status once it has ended, `output` what
it printed.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODULE = "tests/drills/test_drills.py"
SCALE = 0.2
RUN_DIR = "VOZ_DRILLS_RUN_DIR"

_process: subprocess.Popen | None = None
_made: Path | None = None


def prepare() -> None:
    """In the process that starts workers, before it starts them: the directory they will read."""
    global _made
    if RUN_DIR not in os.environ:
        _made = Path(tempfile.mkdtemp(prefix="voz-drills-"))
        os.environ[RUN_DIR] = str(_made)


def start_if_collected(nodeids) -> None:
    """Start the drills once, if the run holds any of their tests."""
    global _process
    run_dir = os.environ.get(RUN_DIR)
    if _process is not None or not run_dir or not any(nodeid.startswith(MODULE) for nodeid in nodeids):
        return
    run_dir = Path(run_dir)
    (run_dir / "started").touch()
    output = open(run_dir / "output", "w")  # noqa: SIM115 (the process owns it until it ends)
    _process = subprocess.Popen(
        [sys.executable, "drills/run.py", "--scale", str(SCALE), "--json", str(run_dir / "figures.json")],
        cwd=ROOT,
        stdout=output,
        stderr=subprocess.STDOUT,
    )

    def note_the_end(process: subprocess.Popen) -> None:
        process.wait()
        output.close()
        (run_dir / "exit.part").write_text(str(process.returncode))
        (run_dir / "exit.part").rename(run_dir / "exit")

    threading.Thread(target=note_the_end, args=(_process,), daemon=True).start()


def stop() -> None:
    """At the end of the run: drills still going (the run stopped early) are interrupted, which makes
    drills/run.py stop its Redis, gunicorn and Celery workers on the way out."""
    if _process is not None and _process.poll() is None:
        _process.send_signal(signal.SIGINT)
        try:
            _process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            _process.kill()
    if _made is not None:
        shutil.rmtree(_made, ignore_errors=True)


def figures(timeout: float = 900) -> tuple[dict | None, int, str]:
    """What the drills found, their exit status and their output; waits for them to end."""
    if RUN_DIR not in os.environ or not (Path(os.environ[RUN_DIR]) / "started").exists():
        # no process of this run started them (the hooks of tests/conftest.py did not run): now, here
        prepare()
        start_if_collected([MODULE])
    run_dir = Path(os.environ[RUN_DIR])
    deadline = time.monotonic() + timeout
    while not (run_dir / "exit").exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the drills did not end within {timeout:.0f} s; see {run_dir / 'output'}")
        time.sleep(0.5)
    found = run_dir / "figures.json"
    return (
        json.loads(found.read_text()) if found.exists() else None,
        int((run_dir / "exit").read_text()),
        (run_dir / "output").read_text(),
    )
