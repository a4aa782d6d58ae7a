#!/usr/bin/env python3
"""Brian2 reference run: the COBA network (Vogels & Abbott 2005 as Benchmark 1 of
Brette et al. 2007: conductance-based LIF neurons, exponential conductances).

Brian2's examples ship this network only with Hodgkin-Huxley neurons
(examples/COBAHH.py, Benchmark 3 of the same paper: "the same network as
Benchmark 1 with HH neurons"). This script is that example with Benchmark 1's
neuron put back, everything else as in COBAHH.py:
    4000 neurons (P[:3200] excitatory, P[3200:] inhibitory), area 20000 um^2,
    Cm = 1 uF/cm^2 * area = 200 pF, gl = 5e-5 S/cm^2 * area = 10 nS,
    El -60 mV, Ee 0 mV, Ei -80 mV, taue 5 ms, taui 10 ms,
    dv/dt = (gl*(El-v)+ge*(Ee-v)+gi*(Ei-v))/Cm : volt (unless refractory),
    dge/dt = -ge/taue : siemens, dgi/dt = -gi/taui : siemens;
    Benchmark 1's neuron: threshold v > -50 mV, reset v = -60 mV, refractory 5 ms
    (COBAHH: v > -20 mV, no reset, 3 ms, plus the HH currents);
    method 'exponential_euler' (as COBAHH.py);
    Ce: Pe -> P, p = 0.02, on_pre 'ge += we', we = 6 nS;
    Ci: Pi -> P, p = 0.02, on_pre 'gi += wi', wi = 67 nS;
    v(0) = El + (randn()*5 - 5) mV, ge(0) = (randn()*1.5 + 4)*10 nS,
    gi(0) = (randn()*12 + 20)*10 nS (no external input: the initial
    conductances start self-sustained activity);
    dt = 0.1 ms, run 1 s, SpikeMonitor on all neurons, synaptic delay 0
    (Brian2's default) unless --delay-ms is given.
This is also Brian 1's COBA benchmark script (conductances in units of gl
there: we = 6/10, wi = 67/10) written in Brian2's COBAHH form.

Usage (venv outside the repo, see benches/compare/README.md):
    /work/venv-brian/bin/python benches/compare/brian2_coba.py --mode standalone --repeats 3
    /work/venv-brian/bin/python benches/compare/brian2_coba.py --mode runtime --seed 4 --json

Every repeat runs in a fresh Python subprocess. Timers and counts as in
brian2_cuba.py (setup_s, prepare_s, codegen_s, compile_s, binary_s, loop_s,
binary_setup_s; spikes, rate_hz, synapses, syn_events), plus the population
rates rate_exc_hz and rate_inh_hz (spikes / (neurons * duration)) and
cv_isi_exc / cv_isi_inh: the mean over neurons with at least 3 spikes of
std(ISI) / mean(ISI), and how many neurons that mean covers.
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


def mean_cv(spike_i, spike_t, lo, hi):
    """Mean CV of the inter-spike intervals of neurons lo..hi with >= 3 spikes."""
    import numpy as np
    order = np.lexsort((spike_t, spike_i))
    i, t = spike_i[order], spike_t[order]
    cvs = []
    for n in range(lo, hi):
        ts = t[np.searchsorted(i, n, "left"):np.searchsorted(i, n, "right")]
        if len(ts) >= 3:
            isi = np.diff(ts)
            cvs.append(isi.std() / isi.mean())
    return (float(np.mean(cvs)) if cvs else float("nan")), len(cvs)


def worker(args):
    """One full build + run; prints one JSON object on stdout's last line."""
    t_import0 = time.perf_counter()
    import numpy as np
    import brian2
    from brian2 import (
        Equations, NeuronGroup, Synapses, SpikeMonitor, Network, cm, defaultclock, device,
        mV, ms, nS, prefs, second, seed, set_device, siemens, ufarad, umetre,
    )
    import_s = time.perf_counter() - t_import0

    builddir = None
    if args.mode == "standalone":
        builddir = args.build_dir or tempfile.mkdtemp(prefix="brian2_coba_")
        set_device("cpp_standalone", build_on_run=False, directory=builddir)
        prefs.devices.cpp_standalone.openmp_threads = args.threads
    else:
        prefs.codegen.target = args.target

    t0 = time.perf_counter()
    seed(args.seed)
    defaultclock.dt = 0.1 * ms
    area = 20000 * umetre**2
    Cm = (1 * ufarad * cm**-2) * area
    gl = (5e-5 * siemens * cm**-2) * area
    El = -60 * mV
    Vt = -50 * mV
    Vr = -60 * mV
    taue = 5 * ms
    taui = 10 * ms
    Ee = 0 * mV
    Ei = -80 * mV
    we = 6 * nS  # excitatory synaptic weight
    wi = 67 * nS  # inhibitory synaptic weight
    eqs = Equations("""
    dv/dt = (gl*(El-v)+ge*(Ee-v)+gi*(Ei-v))/Cm : volt (unless refractory)
    dge/dt = -ge*(1./taue) : siemens
    dgi/dt = -gi*(1./taui) : siemens
    """)
    P = NeuronGroup(N, model=eqs, threshold="v>Vt", reset="v = Vr", refractory=5 * ms,
                    method=args.method)
    Pe = P[:N_EXC]
    Pi = P[N_EXC:]
    syn_kw = {} if args.delay_ms == 0 else {"delay": args.delay_ms * ms}
    Ce = Synapses(Pe, P, on_pre="ge+=we", **syn_kw)
    Ci = Synapses(Pi, P, on_pre="gi+=wi", **syn_kw)
    Ce.connect(p=0.02)
    Ci.connect(p=0.02)
    P.v = "El + (randn() * 5 - 5)*mV"
    P.ge = "(randn() * 1.5 + 4) * 10.*nS"
    P.gi = "(randn() * 12 + 20) * 10.*nS"
    s_mon = SpikeMonitor(P)
    net = Network(P, Ce, Ci, s_mon)
    setup_s = time.perf_counter() - t0

    res = {"mode": args.mode, "seed": args.seed, "delay_ms": args.delay_ms, "method": args.method,
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
    spike_t = np.asarray(s_mon.t[:] / second)
    # Ci's sources are indices within Pi: shift them to P's numbering.
    outdeg = (np.bincount(np.asarray(Ce.i[:]), minlength=N)
              + np.bincount(np.asarray(Ci.i[:]) + N_EXC, minlength=N))
    counts = np.bincount(spike_i, minlength=N)
    res.update(rate_exc_hz=float(counts[:N_EXC].sum()) / (N_EXC * args.duration_s),
               rate_inh_hz=float(counts[N_EXC:].sum()) / ((N - N_EXC) * args.duration_s))
    # Excitatory rate per 100 ms, to compare the time course.
    edges = np.linspace(0.0, args.duration_s, 11)
    res["rate_exc_per_100ms_hz"] = [
        float(c) / (N_EXC * (edges[1] - edges[0]))
        for c in np.histogram(spike_t[spike_i < N_EXC], edges)[0]]
    for name, lo, hi in (("exc", 0, N_EXC), ("inh", N_EXC, N)):
        cv, covered = mean_cv(spike_i, spike_t, lo, hi)
        res[f"cv_isi_{name}"], res[f"cv_neurons_{name}"] = cv, covered
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
    ap = argparse.ArgumentParser(description="Brian2 COBA benchmark (reference for spikesim)")
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
    ap.add_argument("--method", default="exponential_euler",
                    help="Brian2 integration method (default exponential_euler, as COBAHH.py)")
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
    count_keys = ["spikes", "rate_hz", "rate_exc_hz", "rate_inh_hz", "synapses", "syn_events"]
    summary = {k: {"median": statistics.median(r[k] for r in runs),
                   "min": min(r[k] for r in runs), "max": max(r[k] for r in runs)}
               for k in time_keys}
    doc = {
        "benchmark": "brian2_coba",
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
    print(f"Brian2 {doc['brian2']} (Python {doc['python']}), COBA {N} neurons, "
          f"{args.duration_s} s, mode={args.mode}"
          + (f", threads={args.threads}" if args.mode == "standalone" else f", target={args.target}")
          + f", seed={args.seed}, delay={args.delay_ms} ms")
    hdr = ["repeat"] + time_keys + count_keys
    print(" ".join(f"{h:>14}" for h in hdr))
    for i, r in enumerate(runs):
        cells = [str(i + 1)] + [f"{r[k]:.4f}" for k in time_keys] + [
            str(r["spikes"]), f"{r['rate_hz']:.3f}", f"{r['rate_exc_hz']:.3f}",
            f"{r['rate_inh_hz']:.3f}", str(r["synapses"]), str(r["syn_events"])]
        print(" ".join(f"{c:>14}" for c in cells))
    print(" ".join(f"{c:>14}" for c in ["median"] + [f"{summary[k]['median']:.4f}" for k in time_keys]))
    if not doc["deterministic_counts"]:
        print("WARNING: counts differ between repeats")
    if args.profile:
        print(runs[-1]["profiling_summary"])


if __name__ == "__main__":
    main()
