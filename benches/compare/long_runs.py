#!/usr/bin/env python3
"""Costs of long runs, as the manual quotes them (docs/src/guide/long-runs.md) (run from the crate root
after `cargo build --release`):

  memory   resident memory of a 1 h CUBA run recording every spike and `v`
           of 100 neurons every step, sampled every 5 s (needs ~32 GB of
           disk for the results file, which it removes afterwards);
  checkpoint  time and size of a checkpoint for CUBA (4000 neurons) and the
           full-scale microcircuit (77 169 neurons, 0.3e9 synapses): the
           same run with and without checkpoints, 3 pairs each.

  python3 benches/compare/long_runs.py memory|checkpoint [--dir DIR]
"""
import argparse
import os
import re
import statistics
import subprocess
import tempfile
import time

BIN = os.path.abspath("target/release/spikesim")


def cuba_hour(path):
    text = open("models/cuba.toml").read()
    text = text.replace('duration = "1 s"', 'duration = "3600 s"')
    text = text.replace("threads = 1", "threads = 2")
    neurons = ", ".join(str(32 * i) for i in range(100))
    text = text.replace("neurons = [0, 1, 2]", f"neurons = [{neurons}]")
    text = text[: text.index("[output]")]
    open(path, "w").write(text)


def memory(folder):
    model = os.path.join(folder, "cuba_hour.toml")
    out = os.path.join(folder, "cuba_hour.h5")
    cuba_hour(model)
    p = subprocess.Popen([BIN, "run", model, "--no-plots", "--out", out],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    samples, start = [], time.time()
    while p.poll() is None:
        try:
            status = open(f"/proc/{p.pid}/status").read()
            rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
            samples.append((time.time() - start, rss / 1024))
        except (OSError, AttributeError):
            pass
        time.sleep(5)
    said = p.stdout.read()
    size = os.path.getsize(out) / 1e9
    os.remove(out)
    print(said)
    print("t (s)  resident (MiB)")
    for t, mib in samples:
        print(f"{t:6.0f}  {mib:8.1f}")
    middle = [m for t, m in samples[1:]]
    print(f"resident while running: {min(middle):.0f}-{max(middle):.0f} MiB; file {size:.1f} GB")


def run_seconds(args):
    said = subprocess.run([BIN, "run", *args], capture_output=True, text=True, check=True).stdout
    m = re.search(r"simulated [\d.]+ s in ([\d.]+) s", said)
    return float(m.group(1))


def checkpoint(folder):
    cases = [
        ("CUBA, 4000 neurons, 10 s", "models/cuba.toml",
         ["--set", "simulation.duration=\"10 s\"", "--threads", "2"], "1 s", 9),
        ("microcircuit, full scale, 0.5 s", "models/microcircuit.toml",
         ["--set", "simulation.duration=\"0.5 s\"", "--threads", "2"], "0.1 s", 4),
    ]
    print("| model | checkpoints | size each | time each | run without |")
    print("|---|---|---|---|---|")
    for name, model, extra, every, count in cases:
        out = os.path.join(folder, "r.h5")
        base, with_ = [], []
        for _ in range(3):
            base.append(run_seconds([model, "--no-plots", "--out", out, *extra]))
            with_.append(run_seconds([model, "--no-plots", "--out", out, *extra,
                                      "--checkpoint-every", every, "--buffer", "1 GiB"]))
        # The last checkpoint is removed when a run completes: write one
        # more run stopped by the checkpoint's own size, the file's.
        size = checkpoint_size(model, extra, every, folder)
        each = (statistics.median(with_) - statistics.median(base)) / count
        print(f"| {name} | every {every} ({count}) | {size / 1e6:.1f} MB | "
              f"{each * 1e3:.0f} ms | {statistics.median(base):.2f} s |")


def checkpoint_size(model, extra, every, folder):
    """The size of a checkpoint: a run interrupted after its first one."""
    out = os.path.join(folder, "s.h5")
    ck = out + ".checkpoint"
    if os.path.exists(ck):
        os.remove(ck)
    p = subprocess.Popen([BIN, "run", model, "--no-plots", "--out", out, *extra,
                          "--checkpoint-every", every],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while p.poll() is None and not os.path.exists(ck):
        time.sleep(0.01)
    p.terminate()
    p.wait()
    return os.path.getsize(ck)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["memory", "checkpoint"])
    ap.add_argument("--dir", default=None)
    a = ap.parse_args()
    folder = a.dir or tempfile.mkdtemp()
    {"memory": memory, "checkpoint": checkpoint}[a.what](folder)
