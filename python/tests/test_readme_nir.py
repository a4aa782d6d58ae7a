"""The manual's NIR example (docs/src/guide/nir.md): examples/nir/rsnn.nir (a recurrent CuBa graph
in snnTorch's export convention) imported with ``discretisation =
"snntorch"`` fires, step for step, what snnTorch's ``Synaptic`` update
gives on the same file, computed here with NumPy from snnTorch's formulas
(``syn = alpha syn + x``, ``mem = beta mem + syn``, a spike when ``mem >
threshold``, reset to zero in the same step; the recurrent input is the
previous step's spikes, as ``RSynaptic``), in the units of the NIR file
(``r = tau_mem/dt`` and ``w_in = tau_syn/dt`` make snnTorch's threshold
rescaling a no-op)."""

from __future__ import annotations

import numpy as np
import pytest

import spikesim

nir = pytest.importorskip("nir")

DT, STEPS = 1e-4, 200


def snntorch_emulation(root):
    g = nir.read(root / "examples/nir/rsnn.nir")
    n = g.nodes
    x = np.zeros((STEPS, 12))
    rows = np.loadtxt(root / "examples/nir/rsnn_input.csv", delimiter=",", skiprows=1, dtype=int)
    x[rows[:, 1], rows[:, 0]] = 1.0
    l1, l2 = n["lif1.lif"], n["lif2"]
    # snnTorch's import: alpha = 1 - dt/tau_syn, beta = 1 - dt/tau_mem.
    a1, b1 = 1 - DT / l1.tau_syn, 1 - DT / l1.tau_mem
    a2, b2 = 1 - DT / l2.tau_syn, 1 - DT / l2.tau_mem
    i1, v1, s1 = np.zeros(38), np.zeros(38), np.zeros(38)
    i2, v2 = np.zeros(7), np.zeros(7)
    out = []
    for t in range(STEPS):
        drive = n["fc1"].weight.astype(np.float64) @ x[t] + n["fc1"].bias + n["lif1.w_rec"].weight @ s1
        i1 = a1 * i1 + drive
        v1 = b1 * v1 + i1
        s1 = (v1 > l1.v_threshold).astype(float)
        v1[s1 > 0] = 0.0
        i2 = a2 * i2 + n["fc2"].weight @ s1 + n["fc2"].bias
        v2 = b2 * v2 + i2
        s2 = v2 > l2.v_threshold
        v2[s2] = 0.0
        out += [(t, j) for j in np.nonzero(s2)[0]]
    return out


def test_readme_graph_fires_as_snntorch_would(root, tmp_path) -> None:
    model = spikesim.nir.load(
        root / "examples/nir/rsnn.nir",
        dt="0.1 ms",
        discretisation="snntorch",
        input=root / "examples/nir/rsnn_input.csv",
        duration="20 ms",
        out=tmp_path / "rsnn.toml",
    )
    times, senders = model.run(progress=False).spikes("lif2")
    got = sorted(zip(np.rint(times / DT).astype(int) - 1, senders.tolist()))
    want = sorted(snntorch_emulation(root))
    assert len(want) == 261  # the count the manual quotes
    assert got == want
