#!/usr/bin/env python3
"""Writes models/microcircuit.toml: the Potjans & Diesmann (2014) cortical
microcircuit at full scale, with the parameters of NEST's example
(pynest/examples/Potjans_2014, NEST <= 3.9), computed here from the paper's
tables. Standard library only:

    python3 models/make_microcircuit.py > models/microcircuit.toml
"""

import math

POPULATIONS = ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"]
NEURONS = [20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948]
# Mean rates of the full-scale network (1/s), as NEST's example states them
# for its DC compensation of scaled versions.
FULL_RATES = [0.903, 2.965, 4.414, 5.876, 7.569, 8.633, 1.105, 7.829]
# Connection probabilities, row = target, column = source.
CONN_PROBS = [
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
    [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0],
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
    [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0],
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
    [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443],
]
K_EXT = [1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100]
V0_MEAN = [-68.28, -63.16, -63.33, -63.45, -63.11, -61.66, -66.72, -61.43]
V0_STD = [5.36, 4.57, 4.74, 4.94, 4.94, 4.55, 5.46, 4.48]
BG_RATE = 8.0  # Hz per external source
PSP_EXC = 0.15  # mV
G = -4.0
W_REL_STD = 0.1
DELAY_EXC, DELAY_INH, D_REL_STD = 1.5, 0.75, 0.5  # ms
# NEST redraws delays below dt/2 and rounds the rest to the nearest step, so
# every value in [0.05, 0.15) ms becomes one step: spikesim rounds the same
# way, so the same lower bound gives the same delays.
DELAY_MIN = 0.05  # ms
C_M, TAU_M, TAU_SYN = 250.0, 10.0, 0.5  # pF, ms, ms
R_M = TAU_M / C_M * 1e3  # Mohm: 40


def total_synapses(p, n_post, n_pre):
    """K draws of (pre, post) pairs with replacement leave a given pair
    unconnected with probability 1 - p."""
    if p == 0.0:
        return 0
    pairs = n_post * n_pre
    return round(math.log(1.0 - p) / math.log((pairs - 1.0) / pairs))


def psc_per_psp():
    """pA of an exponential PSC whose PSP peaks at 1 mV (iaf_psc_exp)."""
    t_peak = math.log(TAU_M / TAU_SYN) * TAU_M * TAU_SYN / (TAU_M - TAU_SYN)
    peak = TAU_M * TAU_SYN / (C_M * (TAU_M - TAU_SYN)) * (math.exp(-t_peak / TAU_M) - math.exp(-t_peak / TAU_SYN))
    return 1.0 / peak


def fmt(x):
    return f"{x:.6g}"


def main():
    w_exc = PSP_EXC * psc_per_psp()  # 87.81 pA
    out = []
    w = out.append
    w(f"""# The Potjans & Diesmann (2014) cortical microcircuit at full scale: 77,169
# current-based LIF neurons (NEST's iaf_psc_exp: C_m = 250 pF, tau_m = 10 ms,
# so r_m = 40 Mohm) in layers 2/3, 4, 5 and 6, one excitatory (E) and one
# inhibitory (I) population each, and about 0.3 billion synapses, as NEST's
# own example (pynest/examples/Potjans_2014) defines it.
# Written by models/make_microcircuit.py; edit that, not this file.
#
# - Connections: a fixed total number of synapses per projection, drawn with
#   multapses: K = ln(1 - p) / ln(1 - 1/(N_pre N_post)) for connection
#   probability p.
# - Weights: normal, mean from a PSP of 0.15 mV ({fmt(w_exc)} pA), 10 % spread,
#   L4E -> L2/3E doubled, inhibitory ones g = -4 times; redrawn so they keep
#   their sign.
# - Delays: normal, 1.5 ms (E) / 0.75 ms (I), 50 % spread, redrawn below
#   dt/2 and rounded to the step.
# - Background: per neuron, K_ext independent Poisson sources of 8 Hz with the
#   excitatory weight, drawn per step without synapses.
# - Initial potentials: normal per population (NEST's "optimized" values).
# - 0.5 s to settle, then 1 s to analyse (NEST's example: presimulation 0.5 s).
#
# Scaled versions (van Albada et al. 2015, as NEST's example makes them):
#   spikesim run models/microcircuit.toml --set scale.neurons=0.1 --set scale.indegree=0.1
# scales sizes by `neurons`, synapse counts by neurons * indegree, background
# sources by `indegree`, divides weights by sqrt(indegree) and adds as a
# constant current the mean input lost, computed from the full-scale rates
# in [scale].rates (NEST's example's full-scale means).

[simulation]
dt = "0.1 ms"
duration = "1.5 s"
seed = 55
engine = "clock"
threads = 2

[scale]
neurons = 1.0
indegree = 1.0
rates = {{ {", ".join(f'{p} = "{r} Hz"' for p, r in zip(POPULATIONS, FULL_RATES))} }}
""")
    for i, name in enumerate(POPULATIONS):
        w(f"""[[population]]
name = "{name}"
size = {NEURONS[i]}
model = "cuba_lif"
params = {{ tau_m = "{fmt(TAU_M)} ms", r_m = "{fmt(R_M)} Mohm", v_rest = "-65 mV", v_reset = "-65 mV", v_th = "-50 mV", t_ref = "2 ms", tau_syn = "{fmt(TAU_SYN)} ms" }}
init = {{ v = {{ normal = {{ mean = "{V0_MEAN[i]} mV", std = "{V0_STD[i]} mV" }} }} }}
background = {{ rate = "{fmt(BG_RATE)} Hz", indegree = {K_EXT[i]}, weight = "{fmt(w_exc)} pA", receptor = "exc" }}
""")
    for i, post in enumerate(POPULATIONS):
        for j, pre in enumerate(POPULATIONS):
            k = total_synapses(CONN_PROBS[i][j], NEURONS[i], NEURONS[j])
            if k == 0:
                continue
            exc = j % 2 == 0
            mean = w_exc * (1.0 if exc else G)
            if (i, j) == (0, 2):
                mean *= 2.0  # L4E -> L2/3E
            std = abs(mean) * W_REL_STD
            bound = 'min = "0 pA"' if exc else 'max = "0 pA"'
            d = DELAY_EXC if exc else DELAY_INH
            w(f"""[[projection]]
from = "{pre}"
to = "{post}"
connect = {{ fixed_total_number = {k} }}
weight = {{ normal = {{ mean = "{fmt(mean)} pA", std = "{fmt(std)} pA", {bound} }} }}
delay = {{ normal = {{ mean = "{fmt(d)} ms", std = "{fmt(d * D_REL_STD)} ms", min = "{fmt(DELAY_MIN)} ms" }} }}
receptor = "{"exc" if exc else "inh"}"
""" + ("allow_autapses = true  # as NEST's fixed_total_number by default\n" if i == j else ""))
    w("""[output]
path = "results/microcircuit.h5"
raster = "results/microcircuit_raster.png"
""")
    print("\n".join(out), end="")


if __name__ == "__main__":
    main()
