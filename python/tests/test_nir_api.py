"""spikesim.nir.load / save from Python, on a graph made with the `nir`
package; the membrane checked against the `euler` equations of the
import's contract, computed here step by step."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import spikesim

nir = pytest.importorskip("nir")


DT, TAU, W, STEPS = 1e-3, 10e-3, 5.0, 10


def one_lif_graph(path: Path) -> None:
    """Input(1) -> Affine(w = 5) -> LIF(tau = 10 ms, r = 1, v_leak = 0,
    v_th = 1, v_reset = 0) -> Output."""
    one = np.array([1])
    graph = nir.NIRGraph(
        nodes={
            "in": nir.Input(input_type={"input": one}),
            "fc": nir.Affine(weight=np.array([[W]]), bias=np.array([0.0])),
            "lif": nir.LIF(
                tau=np.array([TAU]),
                r=np.array([1.0]),
                v_leak=np.array([0.0]),
                v_threshold=np.array([1.0]),
                v_reset=np.array([0.0]),
            ),
            "out": nir.Output(output_type={"output": one}),
        },
        edges=[("in", "fc"), ("fc", "lif"), ("lif", "out")],
    )
    nir.write(path, graph)


def euler_reference() -> tuple[list[int], list[float]]:
    """V_{n+1} = beta V_n + (dt/tau) r w x_{n+1}, a spike when V > v_th and
    V <- v_reset in the same update; an input spike every data step."""
    beta, jump = 1 - DT / TAU, (DT / TAU) * W
    v, spikes, samples = 0.0, [], [0.0]
    for n in range(STEPS):
        v = beta * v + jump
        if v > 1.0:
            spikes.append(n + 1)  # grid point of update n's spike
            v = 0.0
        samples.append(v)
    return spikes, samples


def test_load_runs_the_euler_equations(tmp_path: Path) -> None:
    graph = tmp_path / "one.nir"
    one_lif_graph(graph)
    spikes_csv = tmp_path / "in.csv"
    spikes_csv.write_text("neuron,step\n" + "".join(f"0,{n}\n" for n in range(STEPS)))
    model = spikesim.nir.load(
        graph, dt="1 ms", discretisation="euler", duration=STEPS * DT, input=spikes_csv,
        out=tmp_path / "one.toml", record_v=True,
    )
    res = model.run(progress=False)
    expected_spikes, expected_v = euler_reference()
    assert expected_spikes == [3, 6, 9]
    np.testing.assert_array_equal(res.spike_steps("lif"), expected_spikes)
    _, v, _ = res.state("lif", "v")
    # Samples at grid points 0 .. STEPS-1 of the run's STEPS steps.
    assert v.shape == (1, STEPS)
    np.testing.assert_allclose(v[0], expected_v[:STEPS], rtol=0, atol=1e-9)


def test_save_writes_what_the_nir_package_reads(tmp_path: Path) -> None:
    graph = tmp_path / "one.nir"
    one_lif_graph(graph)
    model = spikesim.nir.load(graph, dt=DT, discretisation="exact", duration="5 ms", out=tmp_path / "one.toml")
    spikesim.nir.save(model, tmp_path / "back.nir")
    back = nir.read(tmp_path / "back.nir")  # with the package's type check
    assert any(type(n).__name__ == "LIF" for n in back.nodes.values())


def test_bad_graph_is_a_nir_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.nir"
    junk.write_bytes(b"not hdf5")
    with pytest.raises(spikesim.NirError) as info:
        spikesim.nir.load(junk, dt="1 ms", out=tmp_path / "m.toml")
    assert info.value.file == str(junk)
    assert not (tmp_path / "m.toml").exists()


def test_bad_options_are_refused_before_reading(tmp_path: Path) -> None:
    with pytest.raises(spikesim.UsageError, match="discretisation"):
        spikesim.nir.load(tmp_path / "g.nir", dt="1 ms", discretisation="rk4")
    with pytest.raises(spikesim.UsageError, match="dt"):
        spikesim.nir.load(tmp_path / "g.nir", dt=-1.0)
