#!/usr/bin/env python3
"""Peak memory per synapse of building and running two large networks.

Writes the models to a temporary directory and runs each with
`/usr/bin/time -v target/release/spikesim run MODEL --threads T`, 0.1 s of
simulated time; prints synapses, build time, peak resident set size and
peak bytes per synapse (peak RSS / synapses, build included).

  cuba_1m:  1 M cuba_lif neurons (800 k exc, 200 k inh), fixed_indegree
            80 exc + 20 inh per neuron (100 M synapses), uniform delays 1-2 ms.
  mc_like:  the Potjans & Diesmann (2014) population sizes and connection
            probabilities as fixed_total_number (multapses), redrawn normal
            weights and delays (about 0.3 G synapses at --scale 1). Not the
            microcircuit model itself: a projection set of its size.

Usage: benches/compare/connect_memory.py [--threads 2] [--scale 1.0] [--only cuba_1m|mc_like]
About 1.2 GB and 3 GB of memory at scale 1.
"""
import argparse
import math
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.path.join(ROOT, "target", "release", "spikesim")

HEAD = """[simulation]
dt = "0.1 ms"
duration = "0.1 s"
seed = {seed}
engine = "clock"
"""

CUBA = """
[[population]]
name = "{name}"
size = {size}
model = "cuba_lif"
params = {{ tau_m = "{tau_m}", v_rest = "-49 mV", v_reset = "-60 mV", v_th = "-50 mV", t_ref = "{t_ref}", tau_syn_e = "{tau_e}", tau_syn_i = "{tau_i}" }}
init = {{ v = {init} }}
"""

PROJECTION = """
[[projection]]
from = "{src}"
to = "{dst}"
connect = {connect}
weight = {weight}
delay = {delay}
receptor = "{receptor}"
allow_autapses = true
"""

MC_NAMES = ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"]
MC_SIZES = [20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948]
# rows: targets, columns: sources (Potjans & Diesmann 2014, table 5)
MC_PROB = [
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
    [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0],
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
    [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0],
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
    [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443],
]


def cuba_1m(scale):
    sizes = {"exc": int(800_000 * scale), "inh": int(200_000 * scale)}
    text = HEAD.format(seed=2005)
    for name, size in sizes.items():
        text += CUBA.format(name=name, size=size, tau_m="20 ms", t_ref="5 ms", tau_e="5 ms",
                            tau_i="10 ms", init='{ uniform = ["-60 mV", "-50 mV"] }')
    for dst in sizes:
        for src, k, w in [("exc", 80, '"0.162 mV"'), ("inh", 20, '"-0.9 mV"')]:
            text += PROJECTION.format(src=src, dst=dst, connect=f"{{ fixed_indegree = {k} }}",
                                      weight=w, delay='{ uniform = ["1 ms", "2 ms"] }',
                                      receptor=src)
    return text


def mc_like(scale):
    sizes = [max(1, int(n * scale)) for n in MC_SIZES]
    text = HEAD.format(seed=55)
    for name, size in zip(MC_NAMES, sizes):
        text += CUBA.format(name=name, size=size, tau_m="10 ms", t_ref="2 ms", tau_e="0.5 ms",
                            tau_i="0.5 ms",
                            init='{ normal = { mean = "-58 mV", std = "5 mV", max = "-50 mV" } }')
    for t, row in enumerate(MC_PROB):
        for s, p in enumerate(row):
            if p == 0.0:
                continue
            # Synapses of the pairwise probability p as a total with multapses.
            k = round(math.log(1 - p) / math.log(1 - 1 / (sizes[s] * sizes[t])))
            exc = MC_NAMES[s].endswith("E")
            weight = ('{ normal = { mean = "0.15 mV", std = "0.015 mV", min = "0 mV" } }' if exc
                      else '{ normal = { mean = "-0.6 mV", std = "0.06 mV", max = "0 mV" } }')
            delay = ('{ normal = { mean = "1.5 ms", std = "0.75 ms", min = "0.1 ms" } }' if exc
                     else '{ normal = { mean = "0.75 ms", std = "0.375 ms", min = "0.1 ms" } }')
            text += PROJECTION.format(src=MC_NAMES[s], dst=MC_NAMES[t],
                                      connect=f"{{ fixed_total_number = {k} }}", weight=weight,
                                      delay=delay, receptor="exc" if exc else "inh")
    return text


def measure(name, text, threads, workdir):
    model = os.path.join(workdir, f"{name}.toml")
    with open(model, "w") as f:
        f.write(text)
    out = os.path.join(workdir, f"{name}.h5")
    p = subprocess.run(["/usr/bin/time", "-v", BINARY, "run", model, "--out", out,
                        "--threads", str(threads)], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{name}: spikesim failed:\n{p.stderr}")
    log = p.stdout + p.stderr
    synapses = int(re.search(r"^(\d+) synapses,", log, re.M).group(1))
    build = float(re.search(r"built in ([\d.]+) s", log).group(1))
    peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", log).group(1)) * 1024
    print(f"{name:8s} threads {threads}  synapses {synapses:>11,d}  build {build:6.1f} s  "
          f"peak {peak / 2**30:5.2f} GiB  {peak / synapses:5.2f} bytes/synapse")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--only", choices=["cuba_1m", "mc_like"])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        for name, make in [("cuba_1m", cuba_1m), ("mc_like", mc_like)]:
            if args.only in (None, name):
                measure(name, make(args.scale), args.threads, workdir)


if __name__ == "__main__":
    main()
