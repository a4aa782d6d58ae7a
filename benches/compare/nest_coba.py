#!/usr/bin/env python3
"""NEST reference run: the COBA network with `iaf_cond_exp` neurons, the same
network as benches/compare/brian2_coba.py and models/coba.toml.

Model: 4000 iaf_cond_exp neurons (node ids 1..3200 excitatory, the rest
inhibitory): C_m 200 pF, g_L 10 nS, E_L -60 mV, E_ex 0 mV, E_in -80 mV,
V_th -50 mV, V_reset -60 mV, t_ref 5 ms, tau_syn_ex 5 ms, tau_syn_in
10 ms, I_e 0; V_m(0) ~ N(-65, 5) mV, g_ex(0) ~ N(40, 15) nS, g_in(0) ~
N(200, 120) nS (NEST's kernel RNG, rng_seed = --seed); exc -> all and
inh -> all: pairwise_bernoulli p = 0.02 with autapses (as Brian2's
connect(p=0.02)), static_synapse, weights 6 nS and -67 nS (NEST's sign
picks g_in), delay 0.1 ms (NEST's minimum); resolution 0.1 ms, 1 s, one
spike_recorder on all neurons. NEST integrates iaf_cond_exp with GSL's
RKF45 (absolute tolerance 1e-3).

    /work/venv-nest/bin/python benches/compare/nest_coba.py --seed 1 --threads 1

Prints one JSON object: setup_s (create + connect), loop_s (the kernel
timer time_simulate), loop_cpu_s, prepare_s, spikes, rate_exc_hz,
rate_inh_hz, synapses, loadavg_1m_at_start, nest.
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nest_cuba import import_nest, kernel_timers  # noqa: E402

N, N_EXC = 4000, 3200
PARAMS = {"C_m": 200.0, "g_L": 10.0, "E_L": -60.0, "E_ex": 0.0, "E_in": -80.0,
          "V_th": -50.0, "V_reset": -60.0, "t_ref": 5.0, "tau_syn_ex": 5.0,
          "tau_syn_in": 10.0, "I_e": 0.0}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--duration-s", type=float, default=1.0)
    args = ap.parse_args()
    import numpy as np
    nest = import_nest()
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": 0.1, "rng_seed": args.seed,
                          "local_num_threads": args.threads})
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    P = nest.Create("iaf_cond_exp", N, params=dict(
        PARAMS, V_m=nest.random.normal(mean=-65.0, std=5.0),
        g_ex=nest.random.normal(mean=40.0, std=15.0),
        g_in=nest.random.normal(mean=200.0, std=120.0)))
    sr = nest.Create("spike_recorder")
    conn = {"rule": "pairwise_bernoulli", "p": 0.02, "allow_autapses": True}
    nest.Connect(P[:N_EXC], P, conn, {"weight": 6.0, "delay": 0.1})
    nest.Connect(P[N_EXC:], P, conn, {"weight": -67.0, "delay": 0.1})
    nest.Connect(P, sr)
    setup_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    nest.Simulate(args.duration_s * 1000.0)
    wall = time.perf_counter() - t1
    timers = kernel_timers(nest)
    loop_s = timers.get("time_simulate", wall)
    senders = np.asarray(sr.get("events")["senders"])
    first_inh = int(P[N_EXC].global_id)
    n_exc = int((senders < first_inh).sum())
    print(json.dumps({
        "seed": args.seed, "threads": args.threads, "setup_s": setup_s, "loop_s": loop_s,
        "loop_cpu_s": timers.get("time_simulate_cpu", float("nan")), "prepare_s": wall - loop_s,
        "spikes": int(len(senders)),
        "rate_exc_hz": n_exc / (N_EXC * args.duration_s),
        "rate_inh_hz": (len(senders) - n_exc) / ((N - N_EXC) * args.duration_s),
        "synapses": int(nest.GetKernelStatus("num_connections")) - N,
        "loadavg_1m_at_start": load, "nest": nest.__version__}))


if __name__ == "__main__":
    main()
