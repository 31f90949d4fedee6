"""`make run`'s worker supervisor: a command that exits on its own is started again; a stop signal is passed on
and ends both."""

import signal
import subprocess
import sys
import time
from pathlib import Path

# Exits at once the first two times it runs (as a crashing worker would), then waits to be stopped.
COMMAND = """
import pathlib, sys, time
runs = pathlib.Path(sys.argv[1])
count = int(runs.read_text() or 0) + 1 if runs.exists() else 1
runs.write_text(str(count))
if count <= 2:
    sys.exit(1)
time.sleep(60)
"""


def test_a_command_that_exits_is_restarted_and_a_stop_signal_ends_both(tmp_path: Path):
    runs = tmp_path / "runs"
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "scripts.supervise", "--", sys.executable, "-c", COMMAND, str(runs)],
        cwd=Path(__file__).resolve().parent.parent,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (not runs.exists() or runs.read_text() != "3"):
        time.sleep(0.2)
    assert runs.read_text() == "3"  # started, exited, started again twice
    supervisor.send_signal(signal.SIGTERM)
    assert supervisor.wait(timeout=10) == 0  # the command ended by the signal it was asked to stop with
    assert runs.read_text() == "3"  # and nothing was started after the stop
