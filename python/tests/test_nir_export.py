"""Graphs written by `spikesim nir export` are read by nir 1.0.8.

Small models (a recurrent LIF network with delays, a CuBa network in both
input modes, the shipped single-neuron model adapted to NIR) are exported
with the `spikesim` binary and read with `nir.read` (type check on); their
parameters are checked against the model files' numbers and the rules of
the export (worked out by hand here: `r (1 - exp(-dt/tau)) = 1`, weights
in volts, delays one step shorter out of an Input and on a cycle's
closing edge, voltages shifted by the initial potential). A model NIR
cannot express is refused with exit status 1 and the population named.

The binary is built with cargo unless SPIKESIM_BIN names one.
"""

import os
import pathlib
import subprocess

import nir
import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

LIF_MODEL = """
[simulation]
dt = "0.1 ms"
duration = "60 ms"
seed = 7

[[population]]
name = "input"
size = 3
model = "spike_source"
params = { spikes = [["0 ms", "5 ms"], ["1 ms"], ["0.4 ms", "12 ms"]] }

[[population]]
name = "a"
size = 4
model = "lif"
params = { tau_m = "10 ms", v_rest = "-70 mV", v_reset = "-72 mV", v_th = "-60 mV" }

[[population]]
name = "b"
size = 2
model = "lif"
params = { tau_m = "5 ms", v_rest = "-65 mV", v_th = "-62 mV" }

[[projection]]
from = "input"
to = "a"
connect = { dense = [[1, 0, 0.5], [0, 1, 0], [0.7, 0.7, 0.7], [0, 0, 1]] }
weight = "6 mV"
delay = "0.3 ms"

[[projection]]
from = "a"
to = "b"
connect = { dense = [[1, 1, 0, 0], [0, 1, 1, 1]] }
weight = "2.5 mV"
delay = "0.5 ms"

[[projection]]
from = "b"
to = "a"
connect = { dense = [[1, 0], [0, 1], [1, 1], [0, -1]] }
weight = "3 mV"
delay = "1 ms"
"""

CUBA_MODEL = """
[simulation]
dt = "0.1 ms"
duration = "60 ms"

[[population]]
name = "input"
size = 2
model = "spike_source"
params = {{ spikes = [["0 ms", "2 ms"], ["1 ms"]] }}

[[population]]
name = "c"
size = 3
model = "cuba_lif"
params = {{ tau_m = "10 ms", v_rest = "0 mV", v_th = "5 mV", tau_syn = "4 ms"{extra} }}

[[projection]]
from = "input"
to = "c"
connect = {{ dense = [[1, 0], [1, 1], [0, 1]] }}
weight = "5 mV"
delay = "0.2 ms"
receptor = "exc"
"""


@pytest.fixture(scope="session")
def spikesim():
    given = os.environ.get("SPIKESIM_BIN")
    if given:
        return pathlib.Path(given)
    subprocess.run(
        ["cargo", "build", "--release", "--quiet", "--bin", "spikesim"],
        cwd=ROOT,
        check=True,
    )
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "release" / "spikesim"


def export(spikesim, tmp_path, text, name="model"):
    model = tmp_path / f"{name}.toml"
    model.write_text(text)
    out = tmp_path / f"{name}.nir"
    run = subprocess.run(
        [str(spikesim), "nir", "export", str(model), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    return run, out


def read(spikesim, tmp_path, text, name="model"):
    run, out = export(spikesim, tmp_path, text, name)
    assert run.returncode == 0, run.stderr
    return nir.read(out, type_check=True), out


def test_lif_network_reads_with_its_parameters(spikesim, tmp_path):
    g, out = read(spikesim, tmp_path, LIF_MODEL)
    dt = 1e-4
    a = g.nodes["a"]
    assert isinstance(a, nir.LIF)
    np.testing.assert_allclose(a.tau, np.full(4, 10e-3), rtol=0, atol=0)
    np.testing.assert_allclose(a.r * (1 - np.exp(-dt / a.tau)), 1.0, rtol=1e-12)
    # Voltages relative to the initial potential v_rest = -70 mV.
    np.testing.assert_allclose(a.v_leak, 0.0, atol=1e-15)
    np.testing.assert_allclose(a.v_threshold, 10e-3, rtol=1e-12)
    np.testing.assert_allclose(a.v_reset, -2e-3, rtol=1e-12)
    w = g.nodes["input->a.weight"]
    assert isinstance(w, nir.Linear)
    dense = np.array([[1, 0, 0.5], [0, 1, 0], [0.7, 0.7, 0.7], [0, 0, 1]])
    # The engine stores weights in single precision.
    np.testing.assert_array_equal(w.weight, (6e-3 * dense).astype(np.float32).astype(np.float64))
    # 3 steps, one fewer out of an Input; b -> a closes the cycle a -> b -> a.
    np.testing.assert_allclose(g.nodes["input->a.delay"].delay, np.full(4, 2e-4), rtol=1e-12)
    np.testing.assert_allclose(g.nodes["a->b.delay"].delay, np.full(2, 5e-4), rtol=1e-12)
    np.testing.assert_allclose(g.nodes["b->a.delay"].delay, np.full(4, 9e-4), rtol=1e-12)
    assert isinstance(g.nodes["input"], nir.Input)
    assert isinstance(g.nodes["a.output"], nir.Output)
    edges = set(g.edges)
    assert ("input", "input->a.weight") in edges
    assert ("b->a.delay", "a") in edges
    assert g.metadata["spikesim.discretisation"] == "exact"
    assert float(g.metadata["spikesim.dt"]) == pytest.approx(dt, rel=1e-15)
    # The inputs' spikes beside the graph: grid point k as data step k.
    rows = (out.parent / "model.input.csv").read_text().split()
    assert rows[0] == "neuron,step"
    assert set(rows[1:]) == {"0,0", "2,4", "1,10", "0,50", "2,120"}


@pytest.mark.parametrize("mode,w_in", [("jump", 4e-3), ("forcing", 1.0)])
def test_cuba_network_reads_in_both_input_modes(spikesim, tmp_path, mode, w_in):
    text = CUBA_MODEL.format(extra=f', input = "{mode}"')
    g, _ = read(spikesim, tmp_path, text, mode)
    c = g.nodes["c"]
    assert isinstance(c, nir.CubaLIF)
    np.testing.assert_allclose(c.tau_syn, 4e-3, rtol=0)
    np.testing.assert_allclose(c.tau_mem, 10e-3, rtol=0)
    np.testing.assert_allclose(c.r, 1.0, rtol=0)
    np.testing.assert_allclose(c.w_in, w_in, rtol=0)
    assert g.metadata["spikesim.cuba_input"] == mode


def test_what_nir_cannot_express_is_refused_naming_the_population(spikesim, tmp_path):
    text = LIF_MODEL.replace('v_th = "-60 mV" }', 'v_th = "-60 mV", t_ref = "2 ms" }')
    run, out = export(spikesim, tmp_path, text)
    assert run.returncode == 1
    assert "population[a].params.t_ref" in run.stderr
    assert not out.exists()
