"""Ctrl-C during Model.run: SIGINT to a child interpreter running a long
model stops the run at an epoch boundary, with the results so far."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

SCRIPT = r"""
import sys
import spikesim
model = spikesim.load("models/cuba.toml", set={"simulation.duration": "1000 s"})
def progress(done, total):
    if done > 0:
        print("running", flush=True)
try:
    model.run(progress=progress)
except spikesim.RunInterrupted as e:
    res = e.results
    print("interrupted:", e)
    print("reached", e.reached, res.duration, res.info["reached"])
    print("spikes", len(res.spikes("exc")[0]))
    times, v, _ = res.state("exc", "v")
    print("last sample", times[-1])
    sys.exit(0)
print("not interrupted")
sys.exit(1)
"""


def start(script: str, root: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_running(proc: subprocess.Popen) -> None:
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.strip() == "running":
            return
        if not line:
            break
    proc.kill()
    raise AssertionError(f"the run did not start: {proc.stderr.read() if proc.stderr else ''}")


def test_sigint_stops_the_run_with_its_results(root: Path) -> None:
    proc = start(SCRIPT, root)
    wait_for_running(proc)
    time.sleep(0.3)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    stopped_in = time.monotonic() - sent
    assert proc.returncode == 0, f"{out}\n{err}"
    assert stopped_in < 10
    lines = {l.split()[0]: l.split()[1:] for l in out.splitlines() if l.strip() and l.split()[0] != "running"}
    assert lines["interrupted:"][:4] == ["run", "interrupted", "at", "t"]
    reached, covered, info_reached = map(float, lines["reached"])
    assert 0 < reached < 1000 and reached == covered == info_reached
    assert int(lines["spikes"][0]) > 0
    # Samples up to where the run stopped, not beyond.
    assert float(lines["last"][1]) <= reached
    assert "Traceback" not in err


def test_uncaught_interrupt_ends_python_with_its_message(root: Path) -> None:
    script = SCRIPT.replace("except spikesim.RunInterrupted", "except ZeroDivisionError")
    proc = start(script, root)
    wait_for_running(proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    # An uncaught exception's status (Python dies by SIGINT only for the
    # very KeyboardInterrupt its handler raised), not a crash.
    assert proc.returncode == 1, err
    assert "RunInterrupted: run interrupted at t = " in err
    assert "Segmentation" not in err and "panicked" not in err
    assert os.path.exists(root / "models" / "cuba.toml")


def test_ctrl_c_inside_the_progress_callback_is_the_same_interruption(root: Path) -> None:
    # Ctrl-C may land while Python runs the progress callback: its
    # KeyboardInterrupt is raised there. The run must end as for one caught
    # while waiting: RunInterrupted with the results so far.
    import pytest

    import spikesim

    model = spikesim.load(root / "models" / "cuba.toml", set={"simulation.duration": "1000 s"})

    def progress(done: int, total: int) -> None:
        if done > 0:
            raise KeyboardInterrupt

    with pytest.raises(spikesim.RunInterrupted) as caught:
        model.run(progress=progress)
    e = caught.value
    assert 0 < e.reached < 1000.0
    assert e.results.duration == e.reached
    assert isinstance(e.__cause__, KeyboardInterrupt)
