#!/usr/bin/env python3
"""NEST reference benchmark: the CUBA network (Vogels & Abbott 2005) with
`iaf_psc_exp` neurons, the same network as benches/compare/brian2_cuba.py and
models/cuba.toml.

Model:
    4000 iaf_psc_exp neurons (node ids 1..3200 excitatory, 3201..4000
    inhibitory): tau_m 20 ms, C_m 250 pF (NEST's default), E_L -49 mV,
    V_th -50 mV, V_reset -60 mV, t_ref 5 ms, tau_syn_ex 5 ms,
    tau_syn_in 10 ms, I_e 0, delta 0 (the default: no escape noise);
    V_m(0) ~ uniform[-60, -50] mV (NEST's kernel RNG, rng_seed = --seed);
    exc -> all and inh -> all: pairwise_bernoulli p = 0.02,
    allow_autapses False, allow_multapses False, static_synapse,
    delay 0.1 ms (NEST's minimum = one step; Brian2's example has delay 0);
    resolution 0.1 ms, 1 s, one spike_recorder on all neurons.

Weights.  Brian2's CUBA writes the synaptic variables in volts:
    dv/dt = (ge + gi - (v - El)) / taum,   on_pre: ge += we (we = 1.62 mV)
so a spike makes ge (= r_m * i_syn) jump by we.  iaf_psc_exp is
    C_m dV/dt = -(C_m / tau_m) (V - E_L) + I_syn,   on spike: I_syn += w  [pA]
i.e. dV/dt = -(V - E_L)/tau_m + I_syn/C_m.  Matching the two input terms,
ge/tau_m = I_syn/C_m, so ge = I_syn * tau_m / C_m (tau_m/C_m = r_m, the
membrane resistance) and a jump of `we` in ge is a current jump of
    w = we * C_m / tau_m.
Units: mV * pF / ms = 1e-3 V * 1e-12 F / 1e-3 s = 1e-12 A = pA, so with
C_m = 250 pF and tau_m = 20 ms (r_m = 80 MOhm):
    1.62 mV -> 1.62 * 250 / 20 = 20.25 pA,   -9 mV -> -112.5 pA.
The synaptic time constants are the same on both sides (the current and ge
decay alike), so the whole PSP matches, not only its start: for one input at
t = 0, v - El = we * tau_s/(tau_m - tau_s) * (exp(-t/tau_m) - exp(-t/tau_s)).
`--check-weights` simulates one neuron receiving one excitatory and one
inhibitory spike in NEST and compares V_m with this closed form.

Usage (venv outside the repo, see benches/compare/README.md):
    /work/venvs/nest/bin/python benches/compare/nest_cuba.py --repeats 3
    /work/venvs/nest/bin/python benches/compare/nest_cuba.py --repeats 3 --threads 2 --json
    /work/venvs/nest/bin/python benches/compare/nest_cuba.py --check-weights

Every repeat runs in a fresh Python subprocess (same seed and thread count ->
same network and spikes; only timings vary; a different thread count gives a
different but statistically equivalent network, since NEST draws from one RNG
stream per thread).  Times are wall-clock seconds:
  setup_s         create + connect: nest.Create of the neurons (with the
                  random V_m) and of the spike recorder, the two
                  nest.Connect calls for the synapses and the one connecting
                  the neurons to the recorder (the kernel set-up and
                  ResetKernel are not included).
  create_s, connect_s   the two parts of setup_s (wall clock).
  simulate_wall_s the nest.Simulate call (Prepare + Run + Cleanup).
  loop_s          the simulation loop alone, as NEST measures it: the kernel
                  timer 'time_simulate' (wall clock of the update loop; it
                  excludes the preparation of the connection infrastructure).
                  Falls back to simulate_wall_s if the timer is missing.
  loop_cpu_s      the kernel timer 'time_simulate_cpu' (CPU time of the
                  same loop; less sensitive to other load on the machine;
                  with several threads it behaves like the main thread's
                  CPU time: about half the 1-thread value with 2 threads and
                  OMP_WAIT_POLICY=passive, more with busy-waiting).
  prepare_s       simulate_wall_s - loop_s (mostly NEST building its
                  presynaptic target tables in Prepare).
  kernel_timers   all of nest.GetKernelStatus()'s time_* entries, as reported.
Counts: spikes (spike_recorder n_events), rate_hz = spikes / (N * duration),
synapses = connections among the 4000 neurons (GetConnections(P, P));
num_connections = nest.GetKernelStatus('num_connections'), which also counts
the 4000 neuron -> spike_recorder connections; syn_events = sum over output
spikes of the spiking neuron's out-degree (spikes emitted in the last
0.1 ms are counted although their delivery falls after the end, as in
brian2_cuba.py).
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

N = 4000
N_EXC = 3200
C_M_PF = 250.0
TAU_M_MS = 20.0
TAU_SYN_EX_MS = 5.0
TAU_SYN_IN_MS = 10.0
WE_MV = 60 * 0.27 / 10  # Brian2's we = 1.62 mV
WI_MV = -20 * 4.5 / 10  # Brian2's wi = -9 mV


def jump_mv_to_pa(jump_mv, c_m_pf=C_M_PF, tau_m_ms=TAU_M_MS):
    """Brian2's voltage jump of r_m*i_syn (mV) -> iaf_psc_exp current jump (pA)."""
    return jump_mv * c_m_pf / tau_m_ms


W_EXC_PA = jump_mv_to_pa(WE_MV)
W_INH_PA = jump_mv_to_pa(WI_MV)
assert abs(W_EXC_PA - 20.25) < 1e-9 and abs(W_INH_PA + 112.5) < 1e-9

NEURON_PARAMS = {
    "C_m": C_M_PF, "tau_m": TAU_M_MS, "E_L": -49.0, "V_th": -50.0, "V_reset": -60.0,
    "t_ref": 5.0, "tau_syn_ex": TAU_SYN_EX_MS, "tau_syn_in": TAU_SYN_IN_MS, "I_e": 0.0,
}


def import_nest():
    os.environ.setdefault("PYNEST_QUIET", "1")  # no banner on stdout
    import nest
    try:
        nest.verbosity = nest.VerbosityLevel.ERROR  # NEST >= 3.10
    except AttributeError:
        nest.set_verbosity("M_ERROR")
    return nest


def kernel_timers(nest):
    ks = nest.GetKernelStatus()
    out = {}
    for k, v in ks.items():
        if k.startswith("time_"):
            try:
                out[k] = float(v)
            except TypeError:  # per-process arrays (time_communicate_prepare)
                out[k] = [float(x) for x in v]
    return out


def worker(args):
    """One full build + run; prints one JSON object on stdout's last line."""
    t_import0 = time.perf_counter()
    import numpy as np
    nest = import_nest()
    import_s = time.perf_counter() - t_import0

    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": 0.1, "rng_seed": args.seed,
                          "local_num_threads": args.threads})

    t0 = time.perf_counter()
    P = nest.Create("iaf_psc_exp", N, params=dict(
        NEURON_PARAMS, V_m=nest.random.uniform(min=-60.0, max=-50.0)))
    sr = nest.Create("spike_recorder")
    t1 = time.perf_counter()
    conn = {"rule": "pairwise_bernoulli", "p": 0.02,
            "allow_autapses": False, "allow_multapses": False}
    nest.Connect(P[:N_EXC], P, conn, {"synapse_model": "static_synapse",
                                     "weight": W_EXC_PA, "delay": args.delay_ms})
    nest.Connect(P[N_EXC:], P, conn, {"synapse_model": "static_synapse",
                                     "weight": W_INH_PA, "delay": args.delay_ms})
    # same delay as the synapses, so that min_delay = max_delay = one step
    # (the recorder ignores it; the default 1 ms would raise max_delay)
    nest.Connect(P, sr, syn_spec={"delay": args.delay_ms})
    t2 = time.perf_counter()
    res = {"seed": args.seed, "threads": args.threads, "delay_ms": args.delay_ms,
           "import_s": import_s, "setup_s": t2 - t0, "create_s": t1 - t0,
           "connect_s": t2 - t1, "loadavg_1m_at_start": os.getloadavg()[0]}

    t3 = time.perf_counter()
    nest.Simulate(args.duration_s * 1000.0)
    simulate_wall_s = time.perf_counter() - t3
    timers = kernel_timers(nest)
    loop_s = timers.get("time_simulate", simulate_wall_s)
    res.update(simulate_wall_s=simulate_wall_s, loop_s=loop_s,
               loop_cpu_s=timers.get("time_simulate_cpu", float("nan")),
               prepare_s=simulate_wall_s - loop_s, kernel_timers=timers,
               min_delay_ms=float(nest.GetKernelStatus("min_delay")),
               max_delay_ms=float(nest.GetKernelStatus("max_delay")))

    senders = np.asarray(sr.get("events")["senders"], dtype=np.int64)
    conns = nest.GetConnections(source=P, target=P)
    src = np.asarray(conns.get("source"), dtype=np.int64)
    outdeg = np.bincount(src, minlength=int(P[-1].global_id) + 1)
    first_inh = int(P[N_EXC].global_id)
    spikes = int(sr.get("n_events"))
    assert spikes == len(senders)
    res.update(
        spikes=spikes,
        rate_hz=spikes / (N * args.duration_s),
        synapses=int(len(src)),
        synapses_exc=int((src < first_inh).sum()),
        synapses_inh=int((src >= first_inh).sum()),
        num_connections=int(nest.GetKernelStatus("num_connections")),
        syn_events=int(outdeg[senders].sum()),
        w_exc_pA=W_EXC_PA, w_inh_pA=W_INH_PA,
        nest=nest.__version__,
        numpy=np.__version__,
    )
    print(json.dumps(res))


def check_weights():
    """One neuron, one exc spike at 10 ms and one inh spike at 60 ms (threshold
    out of reach): NEST's V_m against Brian2's closed-form PSPs in mV."""
    import numpy as np
    nest = import_nest()
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": 0.1})
    n = nest.Create("iaf_psc_exp", params=dict(NEURON_PARAMS, V_th=1e6, V_m=-49.0))
    vm = nest.Create("voltmeter", params={"interval": 0.1})
    # the sign of the weight selects the receptor (ex / in) in iaf_psc_exp
    sg_e = nest.Create("spike_generator", params={"spike_times": [10.0]})
    sg_i = nest.Create("spike_generator", params={"spike_times": [60.0]})
    nest.Connect(sg_e, n, syn_spec={"weight": W_EXC_PA, "delay": 0.1})
    nest.Connect(sg_i, n, syn_spec={"weight": W_INH_PA, "delay": 0.1})
    nest.Connect(vm, n)
    nest.Simulate(150.0)
    ev = vm.get("events")
    t = np.asarray(ev["times"])
    v = np.asarray(ev["V_m"])

    def psp(t_ms, t_on, jump, tau_s):
        s = np.clip(t_ms - t_on, 0.0, None)
        return jump * tau_s / (TAU_M_MS - tau_s) * (np.exp(-s / TAU_M_MS) - np.exp(-s / tau_s))

    # The first step in which V_m has moved tells when the current jumped.
    t_on_e = t[np.argmax(v != -49.0)] - 0.1
    expected = -49.0 + psp(t, t_on_e, WE_MV, TAU_SYN_EX_MS)
    t_on_i = t[np.argmax(np.abs(v - expected) > 1e-9)] - 0.1
    expected += psp(t, t_on_i, WI_MV, TAU_SYN_IN_MS)
    err = float(np.max(np.abs(v - expected)))
    peak_e = float(np.max(v[t < 60.0]) + 49.0)
    print(f"NEST {nest.__version__}: w_exc = {W_EXC_PA:g} pA, w_inh = {W_INH_PA:g} pA")
    print(f"exc current jumps at t = {t_on_e:.1f} ms, inh at t = {t_on_i:.1f} ms "
          f"(spike times 10 and 60 ms, delay 0.1 ms)")
    print(f"exc PSP peak {peak_e:.6f} mV (closed form "
          f"{float(np.max(psp(t, t_on_e, WE_MV, TAU_SYN_EX_MS))):.6f} mV)")
    print(f"max |V_m - closed form| over {len(t)} samples: {err:.3g} mV")
    ok = err < 1e-9
    print("OK" if ok else "MISMATCH")
    return ok


def main():
    ap = argparse.ArgumentParser(description="NEST CUBA benchmark (reference for spikesim)")
    ap.add_argument("--seed", type=int, default=1, help="NEST rng_seed (>= 1)")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1, help="NEST local_num_threads")
    ap.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ap.add_argument("--delay-ms", type=float, default=0.1,
                    help="synaptic delay on both pathways (default 0.1 = one step, NEST's minimum)")
    ap.add_argument("--duration-s", type=float, default=1.0)
    ap.add_argument("--check-weights", action="store_true",
                    help="check the mV -> pA weight conversion on one neuron and exit")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.check_weights:
        sys.exit(0 if check_weights() else 1)
    if args.worker:
        worker(args)
        return

    runs = []
    env = dict(os.environ, PYNEST_QUIET="1")
    for r in range(args.repeats):
        cmd = [sys.executable, os.path.abspath(__file__), "--worker"] + [
            a for a in sys.argv[1:] if a != "--json"]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(f"repeat {r + 1}/{args.repeats} done", file=sys.stderr)

    time_keys = ["setup_s", "prepare_s", "simulate_wall_s", "loop_s", "loop_cpu_s"]
    count_keys = ["spikes", "rate_hz", "synapses", "syn_events"]
    summary = {k: {"median": statistics.median(r[k] for r in runs),
                   "min": min(r[k] for r in runs), "max": max(r[k] for r in runs)}
               for k in time_keys}
    doc = {
        "benchmark": "nest_cuba",
        "nest": runs[0]["nest"], "numpy": runs[0]["numpy"],
        "python": platform.python_version(), "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "model": "iaf_psc_exp", "threads": args.threads, "seed": args.seed,
        "repeats": args.repeats, "delay_ms": args.delay_ms, "duration_s": args.duration_s,
        "w_exc_pA": W_EXC_PA, "w_inh_pA": W_INH_PA,
        "deterministic_counts": all(all(r[k] == runs[0][k] for k in count_keys) for r in runs),
        "summary": summary,
        "runs": runs,
    }
    if args.json:
        print(json.dumps(doc, indent=2))
        return
    print(f"NEST {doc['nest']} (Python {doc['python']}), CUBA {N} iaf_psc_exp, "
          f"{args.duration_s} s, threads={args.threads}, seed={args.seed}, "
          f"delay={args.delay_ms} ms, w_exc={W_EXC_PA:g} pA, w_inh={W_INH_PA:g} pA")
    hdr = ["repeat"] + time_keys + count_keys
    print(" ".join(f"{h:>15}" for h in hdr))
    for i, r in enumerate(runs):
        cells = [str(i + 1)] + [f"{r[k]:.4f}" for k in time_keys] + [
            str(r["spikes"]), f"{r['rate_hz']:.3f}", str(r["synapses"]), str(r["syn_events"])]
        print(" ".join(f"{c:>15}" for c in cells))
    print(" ".join(f"{c:>15}" for c in ["median"] + [f"{summary[k]['median']:.4f}" for k in time_keys]))
    print(f"(num_connections incl. the {N} recorder connections: {runs[0]['num_connections']})")
    if not doc["deterministic_counts"]:
        print("WARNING: counts differ between repeats")


if __name__ == "__main__":
    main()
