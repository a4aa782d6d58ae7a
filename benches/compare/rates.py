#!/usr/bin/env python3
"""Clock against event engine as activity grows: models/sparse_input.toml
(4000 LIF neurons reached by sparse Poisson input and weak recurrence) with
the input rate swept. The clock engine's cost is set by neurons × steps; the
event engine's by the events, so it wins at low rates and loses at high ones.

    python3 benches/compare/rates.py --repeats 3

Prints a Markdown table of the median loop times (`simulate_seconds`).
"""

import argparse
import os
import re
import statistics
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(binary, engine, rate):
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [binary, "run", "models/sparse_input.toml", "--no-plots", "--out", os.path.join(tmp, "r.h5"),
             "--set", f'simulation.engine="{engine}"', "--set", f'population.input.params.rate="{rate} Hz"'],
            cwd=ROOT, check=True, capture_output=True, text=True).stdout
    loop = float(re.search(r"simulated [\d.]+ s in ([\d.]+) s", out).group(1))
    rate_out = float(re.search(r"^cells\s+\d+\s+([\d.]+)$", out, re.M).group(1))
    events = int(re.search(r"(\d+) synaptic events", out).group(1))
    return loop, rate_out, events


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--spikesim", default=os.path.join(ROOT, "target", "release", "spikesim"))
    ap.add_argument("--rates", default="0.25,1,2,4")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    print("| input rate (Hz) | output rate clock / event (Hz) | synaptic events | clock loop (s) | event loop (s) | event / clock |")
    print("|---:|---:|---:|---:|---:|---:|")
    for rate in args.rates.split(","):
        runs = {e: [run(args.spikesim, e, rate) for _ in range(args.repeats)] for e in ("clock", "event")}
        clock = statistics.median(r[0] for r in runs["clock"])
        event = statistics.median(r[0] for r in runs["event"])
        print(f"| {rate} | {runs['clock'][0][1]:.3f} / {runs['event'][0][1]:.3f} | {runs['event'][0][2]} | "
              f"{clock:.4f} | {event:.4f} | {event / clock:.2f}x |")


if __name__ == "__main__":
    main()
