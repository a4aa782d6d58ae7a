"""Writes rsnn.nir, a graph as snnTorch 1.0 exports a recurrent CuBa network
(the layout of the NIR paper's Braille task: Input(12) -> Affine ->
recurrent CubaLIF(38) -> Affine -> CubaLIF(7)), and rsnn_input.csv, 200 steps
of input spikes on the 12 channels.

snnTorch's conventions (nir.md, section 4): dt = 1e-4 s is not stored; a
Synaptic layer with per-step factors alpha, beta is written as tau_syn =
dt/(1 - alpha), tau_mem = dt/(1 - beta), r = tau_mem/dt, w_in = tau_syn/dt,
v_leak = 0, v_reset = 0; a recurrent layer's nodes have dotted names
(`lif1.lif`, `lif1.w_rec`) in the flat graph. The weights are random (seeded),
scaled so that both layers fire; the graph is an example of the format, not a
trained network.

Usage: python make_rsnn.py   (needs numpy and nir==1.0.8; writes beside itself)
"""

from pathlib import Path

import nir
import numpy as np

DT = 1e-4
STEPS = 200
N_IN, N_HID, N_OUT = 12, 38, 7


def cuba(alpha, beta, n, threshold):
    tau_syn = np.full(n, DT / (1 - alpha))
    tau_mem = np.full(n, DT / (1 - beta))
    return nir.CubaLIF(
        tau_syn=tau_syn,
        tau_mem=tau_mem,
        r=tau_mem / DT,
        v_leak=np.zeros(n),
        v_threshold=np.full(n, threshold),
        v_reset=np.zeros(n),
        w_in=tau_syn / DT,
    )


def graph(rng):
    w1 = (rng.normal(0.0, 1.0, (N_HID, N_IN)) * 0.1).astype(np.float32)
    w_rec = (rng.normal(0.0, 1.0, (N_HID, N_HID)) * 0.04).astype(np.float32)
    w2 = (rng.normal(0.0, 1.0, (N_OUT, N_HID)) * 0.3 + 0.1).astype(np.float32)
    nodes = {
        "input": nir.Input(input_type=np.array([N_IN])),
        "fc1": nir.Affine(weight=w1, bias=np.full(N_HID, 0.01, dtype=np.float32)),
        "lif1.lif": cuba(0.55, 0.9, N_HID, 1.0),
        "lif1.w_rec": nir.Linear(weight=w_rec),
        "fc2": nir.Affine(weight=w2, bias=np.zeros(N_OUT, dtype=np.float32)),
        "lif2": cuba(0.5, 0.55, N_OUT, 1.0),
        "output": nir.Output(output_type=np.array([N_OUT])),
    }
    edges = [
        ("input", "fc1"),
        ("fc1", "lif1.lif"),
        ("lif1.lif", "lif1.w_rec"),
        ("lif1.w_rec", "lif1.lif"),
        ("lif1.lif", "fc2"),
        ("fc2", "lif2"),
        ("lif2", "output"),
    ]
    return nir.NIRGraph(nodes=nodes, edges=edges)


def input_spikes(rng):
    """Each channel fires with its own probability per step (5-25 %)."""
    p = rng.uniform(0.05, 0.25, N_IN)
    spikes = rng.random((STEPS, N_IN)) < p
    steps, neurons = np.nonzero(spikes)
    return neurons, steps


def main():
    here = Path(__file__).resolve().parent
    rng = np.random.default_rng(17)
    nir.write(here / "rsnn.nir", graph(rng))
    neurons, steps = input_spikes(rng)
    rows = sorted(zip(steps.tolist(), neurons.tolist()))
    with open(here / "rsnn_input.csv", "w") as f:
        f.write("neuron,step\n")
        for step, neuron in rows:
            f.write(f"{neuron},{step}\n")
    nir.read(here / "rsnn.nir")  # the nir package's own type check


if __name__ == "__main__":
    main()
