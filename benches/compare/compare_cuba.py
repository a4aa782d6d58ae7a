#!/usr/bin/env python3
"""CUBA (Vogels & Abbott 2005, 4000 neurons, 1 s) side by side: spikesim's
clock engine against Brian2's C++ standalone and runtime (Cython) modes, on
this machine, in one run. `--model coba` does the same for the
conductance-based network (models/coba.toml against brian2_coba.py; no
NEST row).

Runs are interleaved (spikesim, Brian2 standalone, Brian2 runtime, spikesim,
...) so that the machine's background load hits all of them alike; medians
are reported. The table is Markdown, ready for the manual (docs/src/performance/).

    # Brian2 2.11 needs Python >= 3.13 (see tests/fixtures/brian2/README.md)
    /work/venvs/brian2/bin/python benches/compare/compare_cuba.py --repeats 5
    # optionally with NEST's iaf_psc_exp (1 thread) from its own venv
    # (see benches/compare/README.md)
    /work/venvs/brian2/bin/python benches/compare/compare_cuba.py --repeats 5 \
        --nest-python /work/venvs/nest/bin/python

Columns: build = network construction (spikesim: `build_seconds`; Brian2
standalone: code generation + compilation + the binary's set-up; runtime:
Python set-up + preparation; NEST: create + connect + Simulate's
preparation), loop = the simulation loop alone (spikesim's
`simulate_seconds`, Brian2's own last-run time, NEST's `time_simulate`),
events/s = synaptic events delivered per second of loop time, ratio = the
row's loop time / spikesim's.
"""

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def run_spikesim(binary, seed, threads, engine="clock", model="cuba"):
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [binary, "run", f"models/{model}.toml", "--no-plots", "--seed", str(seed),
             "--threads", str(threads), "--set", f'simulation.engine="{engine}"',
             "--out", os.path.join(tmp, f"{model}.h5")],
            cwd=ROOT, check=True, capture_output=True, text=True).stdout
    built = re.search(r"built in ([\d.]+) s, simulated [\d.]+ s in ([\d.]+) s", out)
    events = re.search(r"(\d+) synapses, (\d+) synaptic events", out)
    spikes = sum(int(m.group(1)) for m in re.finditer(r"^\S+\s+(\d+)\s+[\d.]+$", out, re.M))
    return {"build_s": float(built.group(1)), "loop_s": float(built.group(2)),
            "synapses": int(events.group(1)), "syn_events": int(events.group(2)),
            "spikes": spikes}


def run_brian2(mode, seed, model="cuba"):
    cmd = [sys.executable, os.path.join(HERE, f"brian2_{model}.py"), "--mode", mode,
           "--seed", str(seed), "--repeats", "1", "--json"]
    doc = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    r = doc["runs"][0]
    if mode == "standalone":
        build = r["setup_s"] + r["codegen_s"] + r["compile_s"] + r["binary_setup_s"]
    else:
        build = r["setup_s"] + r["prepare_s"]
    return {"build_s": build, "loop_s": r["loop_s"], "synapses": r["synapses"],
            "syn_events": r["syn_events"], "spikes": r["spikes"], "brian2": doc["brian2"]}


def run_nest(python, seed):
    cmd = [python, os.path.join(HERE, "nest_cuba.py"), "--seed", str(seed),
           "--threads", "1", "--repeats", "1", "--json"]
    doc = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    r = doc["runs"][0]
    return {"build_s": r["setup_s"] + r["prepare_s"], "loop_s": r["loop_s"],
            "synapses": r["synapses"], "syn_events": r["syn_events"], "spikes": r["spikes"],
            "nest": doc["nest"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--spikesim", default=os.path.join(ROOT, "target", "release", "spikesim"))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--modes", default="standalone,runtime",
                    help="Brian2 modes to compare with (comma-separated)")
    ap.add_argument("--threads", default="1", help="spikesim thread counts (comma-separated)")
    ap.add_argument("--engines", default="clock", help="spikesim engines: clock,event")
    ap.add_argument("--json", help="also write all runs to this JSON file")
    ap.add_argument("--nest-python", metavar="PATH",
                    help="python of a venv with nest-simulator: also run nest_cuba.py (1 thread)")
    ap.add_argument("--model", choices=["cuba", "coba"], default="cuba",
                    help="the network: cuba (default) or coba (conductance-based; no NEST row)")
    args = ap.parse_args()
    if args.model == "coba" and args.nest_python:
        ap.error("--nest-python: there is no NEST script for the COBA network yet")
    modes = [m for m in args.modes.split(",") if m]

    ours = [(e, int(t)) for e in args.engines.split(",") if e for t in args.threads.split(",") if t]
    name = lambda e, t: "spikesim" if (e, t) == ours[0] else f"spikesim {e}, {t} thread{'s' * (t > 1)}"
    runs = {**{name(e, t): [] for e, t in ours}, **{f"brian2 {m}": [] for m in modes}}
    if args.nest_python:
        runs["nest iaf_psc_exp"] = []
    for r in range(args.repeats):
        for e, t in ours:
            runs[name(e, t)].append(run_spikesim(args.spikesim, args.seed, t, e, args.model))
        for m in modes:
            runs[f"brian2 {m}"].append(run_brian2(m, args.seed, args.model))
        if args.nest_python:
            runs["nest iaf_psc_exp"].append(run_nest(args.nest_python, args.seed))
        print(f"round {r + 1}/{args.repeats} done", file=sys.stderr)

    median = {name: {k: statistics.median(x[k] for x in rs) for k in ("build_s", "loop_s")}
              for name, rs in runs.items()}
    ours = median["spikesim"]["loop_s"]
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.machine())
    brian_version = next((rs[0]["brian2"] for n, rs in runs.items() if n.startswith("brian2")), "-")
    print(f"{args.model.upper()}, 4000 neurons, 1 s, dt 0.1 ms, seed {args.seed}; median of {args.repeats}; "
          f"{cpu}, {os.cpu_count()} cores; Brian2 {brian_version}, Python {platform.python_version()}"
          + (f"; NEST {runs['nest iaf_psc_exp'][0]['nest']}" if args.nest_python else "") + "\n")
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f}\n")
    print("| simulator | build (s) | loop (s) | spikes | synaptic events | events/s | loop time vs spikesim |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, rs in runs.items():
        m = median[name]
        events = rs[0]["syn_events"]
        ratio = m["loop_s"] / ours
        print(f"| {name} | {m['build_s']:.3f} | {m['loop_s']:.4f} | {rs[0]['spikes']} | {events} | "
              f"{events / m['loop_s']:.3g} | {ratio:.2f}x |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"median": median, "runs": runs}, f, indent=2)


if __name__ == "__main__":
    main()
