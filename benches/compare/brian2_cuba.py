#!/usr/bin/env python3
"""Brian2 reference benchmark: the CUBA network of Brian2's examples (Vogels & Abbott 2005).

Model (as in Brian2's documented CUBA example):
    4000 LIF neurons, dv/dt = (ge+gi-(v-El))/taum : volt (unless refractory),
    dge/dt = -ge/taue, dgi/dt = -gi/taui; taum 20 ms, taue 5 ms, taui 10 ms,
    Vt -50 mV, Vr -60 mV, El -49 mV, refractory 5 ms, method 'exact',
    v(0) = Vr + rand()*(Vt - Vr), ge = gi = 0;
    Ce: i < 3200 -> all, p = 0.02, on_pre 'ge += we', we = (60*0.27/10) mV
    Ci: i >= 3200 -> all, p = 0.02, on_pre 'gi += wi', wi = (-20*4.5/10) mV
    dt = 0.1 ms, run 1 s, SpikeMonitor on all neurons, synaptic delay 0
    (Brian2's default) unless --delay-ms is given.

Usage (venv outside the repo, see tests/fixtures/brian2/README.md):
    /work/venvs/brian2/bin/python benches/compare/brian2_cuba.py --mode standalone --repeats 3
    /work/venvs/brian2/bin/python benches/compare/brian2_cuba.py --mode runtime --repeats 3 --json
    /work/venvs/brian2/bin/python benches/compare/brian2_cuba.py --mode standalone --delay-ms 0.1

Every repeat runs in a fresh Python subprocess (same seed -> same network and
spikes; only timings vary).  Times are wall-clock seconds:
  setup_s      Python side: creating groups, initialising v, Synapses.connect,
               monitors.  In runtime mode connect really runs here (first use
               of a code object includes Cython compilation unless Brian2's
               on-disk cache already has it); in standalone mode this only
               records what to do.
  prepare_s    runtime only: Network.run wall time minus the loop (code-object
               preparation/compilation in before_run, after_run).
  codegen_s    standalone only: device.build(compile=True, run=False) wall time
               minus the compile (make) time = C++ code generation.
  compile_s    standalone only: device.timers['compile'] (make, plus clean if any).
  binary_s     standalone only: device.timers['run_binary'] = wall time of the
               compiled binary (connect + initialisation + loop + writing results).
  loop_s       the simulation loop alone, as Brian2 measures it: the
               Network's last run time (device._last_run_time; in standalone
               it is read back from results/last_run_info.txt, which the
               binary writes) -- this excludes synapse creation.
  binary_setup_s  standalone only: binary_s - loop_s (mostly synapse creation).
Counts: spikes (SpikeMonitor.num_spikes), rate_hz = spikes / (N * duration),
synapses (len(Ce) + len(Ci)), syn_events = sum over output spikes of the
spiking neuron's out-degree (from Ce.i and Ci.i).
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

N = 4000
N_EXC = 3200


def worker(args):
    """One full build + run; prints one JSON object on stdout's last line."""
    t_import0 = time.perf_counter()
    import numpy as np
    import brian2
    from brian2 import (
        NeuronGroup, Synapses, SpikeMonitor, Network, defaultclock, device, mV, ms,
        prefs, second, seed, set_device,
    )
    import_s = time.perf_counter() - t_import0

    builddir = None
    if args.mode == "standalone":
        builddir = args.build_dir or tempfile.mkdtemp(prefix="brian2_cuba_")
        set_device("cpp_standalone", build_on_run=False, directory=builddir)
        prefs.devices.cpp_standalone.openmp_threads = args.threads
    else:
        prefs.codegen.target = args.target

    t0 = time.perf_counter()
    seed(args.seed)
    defaultclock.dt = 0.1 * ms
    taum = 20 * ms
    taue = 5 * ms
    taui = 10 * ms
    Vt = -50 * mV
    Vr = -60 * mV
    El = -49 * mV
    eqs = """
    dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
    dge/dt = -ge/taue : volt
    dgi/dt = -gi/taui : volt
    """
    P = NeuronGroup(N, eqs, threshold="v>Vt", reset="v = Vr", refractory=5 * ms,
                    method="exact")
    P.v = "Vr + rand() * (Vt - Vr)"
    P.ge = 0 * mV
    P.gi = 0 * mV
    we = (60 * 0.27 / 10) * mV  # excitatory synaptic weight (voltage)
    wi = (-20 * 4.5 / 10) * mV  # inhibitory synaptic weight
    syn_kw = {} if args.delay_ms == 0 else {"delay": args.delay_ms * ms}
    Ce = Synapses(P, P, on_pre="ge += we", **syn_kw)
    Ci = Synapses(P, P, on_pre="gi += wi", **syn_kw)
    Ce.connect("i<3200", p=0.02)
    Ci.connect("i>=3200", p=0.02)
    s_mon = SpikeMonitor(P)
    net = Network(P, Ce, Ci, s_mon)
    setup_s = time.perf_counter() - t0

    res = {"mode": args.mode, "seed": args.seed, "delay_ms": args.delay_ms,
           "import_s": import_s, "setup_s": setup_s,
           "loadavg_1m_at_start": os.getloadavg()[0]}
    duration = args.duration_s * second
    t1 = time.perf_counter()
    net.run(duration, profile=args.profile)
    run_call_s = time.perf_counter() - t1
    if args.mode == "standalone":
        res["threads"] = args.threads
        t2 = time.perf_counter()
        device.build(directory=builddir, compile=True, run=False)
        build_wall = time.perf_counter() - t2
        comp = device.timers["compile"]
        compile_s = sum(v for v in comp.values() if v is not None)
        device.run(directory=builddir, with_output=False, run_args=[])
        binary_s = device.timers["run_binary"]
        with open(os.path.join(builddir, "results", "last_run_info.txt")) as f:
            info = f.read().split()
        loop_s = float(info[0])
        res.update(codegen_s=build_wall - compile_s + run_call_s, compile_s=compile_s,
                   binary_s=binary_s, loop_s=loop_s, binary_setup_s=binary_s - loop_s,
                   completed_fraction=float(info[1]),
                   device_last_run_time_s=float(device._last_run_time))
    else:
        loop_s = float(device._last_run_time)
        res.update(target=args.target, run_wall_s=run_call_s, loop_s=loop_s,
                   prepare_s=run_call_s - loop_s)
    if args.profile:
        res["profiling_summary"] = str(brian2.profiling_summary(net))

    spike_i = np.asarray(s_mon.i[:])
    outdeg = (np.bincount(np.asarray(Ce.i[:]), minlength=N)
              + np.bincount(np.asarray(Ci.i[:]), minlength=N))
    res.update(
        spikes=int(s_mon.num_spikes),
        rate_hz=float(s_mon.num_spikes) / (N * args.duration_s),
        synapses=int(len(Ce) + len(Ci)),
        synapses_exc=int(len(Ce)),
        synapses_inh=int(len(Ci)),
        syn_events=int(outdeg[spike_i].sum()),
        brian2=brian2.__version__,
        numpy=np.__version__,
    )
    if builddir and not args.build_dir:
        shutil.rmtree(builddir, ignore_errors=True)
    print(json.dumps(res))


def main():
    ap = argparse.ArgumentParser(description="Brian2 CUBA benchmark (reference for spikesim)")
    ap.add_argument("--mode", choices=["runtime", "standalone"], default="standalone")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ap.add_argument("--threads", type=int, default=0,
                    help="standalone OpenMP threads (0 = Brian2 default: no OpenMP, 1 thread)")
    ap.add_argument("--target", default="cython", choices=["cython", "numpy"],
                    help="runtime code-generation target (default cython)")
    ap.add_argument("--delay-ms", type=float, default=0.0,
                    help="synaptic delay on both pathways (default 0 = Brian2's default)")
    ap.add_argument("--duration-s", type=float, default=1.0)
    ap.add_argument("--profile", action="store_true", help="also collect Brian2's profiling_summary")
    ap.add_argument("--build-dir", help="standalone project directory (kept); default: temp, removed")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args)
        return

    runs = []
    for r in range(args.repeats):
        cmd = [sys.executable, os.path.abspath(__file__), "--worker"] + [
            a for a in sys.argv[1:] if a != "--json"]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(f"repeat {r + 1}/{args.repeats} done", file=sys.stderr)

    time_keys = [k for k in ("setup_s", "prepare_s", "run_wall_s", "codegen_s", "compile_s",
                             "binary_s", "binary_setup_s", "loop_s") if k in runs[0]]
    count_keys = ["spikes", "rate_hz", "synapses", "syn_events"]
    summary = {k: {"median": statistics.median(r[k] for r in runs),
                   "min": min(r[k] for r in runs), "max": max(r[k] for r in runs)}
               for k in time_keys}
    doc = {
        "benchmark": "brian2_cuba",
        "brian2": runs[0]["brian2"], "numpy": runs[0]["numpy"],
        "python": platform.python_version(), "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "mode": args.mode, "seed": args.seed, "repeats": args.repeats,
        "delay_ms": args.delay_ms, "duration_s": args.duration_s,
        "deterministic_counts": all(all(r[k] == runs[0][k] for k in count_keys) for r in runs),
        "summary": summary,
        "runs": runs,
    }
    if args.json:
        print(json.dumps(doc, indent=2))
        return
    print(f"Brian2 {doc['brian2']} (Python {doc['python']}), CUBA {N} neurons, "
          f"{args.duration_s} s, mode={args.mode}"
          + (f", threads={args.threads}" if args.mode == "standalone" else f", target={args.target}")
          + f", seed={args.seed}, delay={args.delay_ms} ms")
    hdr = ["repeat"] + time_keys + count_keys
    print(" ".join(f"{h:>14}" for h in hdr))
    for i, r in enumerate(runs):
        cells = [str(i + 1)] + [f"{r[k]:.4f}" for k in time_keys] + [
            str(r["spikes"]), f"{r['rate_hz']:.3f}", str(r["synapses"]), str(r["syn_events"])]
        print(" ".join(f"{c:>14}" for c in cells))
    print(" ".join(f"{c:>14}" for c in ["median"] + [f"{summary[k]['median']:.4f}" for k in time_keys]))
    if not doc["deterministic_counts"]:
        print("WARNING: counts differ between repeats")
    if args.profile:
        print(runs[-1]["profiling_summary"])


if __name__ == "__main__":
    main()
