"""Running models from Python: numbers against closed forms, and against
the command line's results file for the same model (the binding must give
the very same spikes and samples)."""

from __future__ import annotations

import math
import subprocess
import threading
import time

import numpy as np
import pytest

import spikesim

# models/single_lif.toml: one LIF neuron, tau_m = 10 ms, v_rest = v_reset =
# -70 mV, v_th = -55 mV, t_ref = 2 ms, r_m i_e = 100 Mohm * 0.2 nA = 20 mV.
TAU, V_REST, V_TH, T_REF, RI = 10e-3, -70e-3, -55e-3, 2e-3, 20e-3


def free_v(t: np.ndarray) -> np.ndarray:
    """The membrane before the first spike: v_rest + R I (1 - exp(-t/tau))."""
    return V_REST + RI * (1.0 - np.exp(-t / TAU))


def test_single_lif_membrane_follows_the_closed_form() -> None:
    res = spikesim.load("models/single_lif.toml").run(progress=False)
    times, v, neurons = res.state("neuron", "v")
    assert neurons.tolist() == [0]
    assert v.shape == (1, len(times))
    first = TAU * math.log(RI / (RI - (V_TH - V_REST)))  # 13.86 ms
    before = times < first - 1e-12
    assert before.sum() > 100
    np.testing.assert_allclose(v[0, before], free_v(times[before]), rtol=0, atol=1e-12)
    # The clock engine fires at the first grid point past the crossing.
    spikes, senders = res.spikes("neuron")
    assert set(senders.tolist()) == {0}
    assert spikes[0] == pytest.approx(math.ceil(first / res.dt) * res.dt, abs=1e-12)


def test_event_engine_fires_at_the_closed_form_times() -> None:
    res = spikesim.load("models/single_lif.toml").run(engine="event", progress=False)
    assert res.info["engine"] == "event"
    times, _ = res.spikes("neuron")
    first = TAU * math.log(RI / (RI - (V_TH - V_REST)))
    expected = first + np.arange(len(times)) * (first + T_REF)
    assert len(times) == int((0.2 - first) // (first + T_REF)) + 1
    np.testing.assert_allclose(times, expected, rtol=0, atol=1e-9)
    assert res.rates()["neuron"] == pytest.approx(len(times) / 0.2)


def cli_results(cli: str, model: str, out, *sets: str):
    subprocess.run(
        [cli, "run", model, "--out", str(out), "--no-plots", *[a for s in sets for a in ("--set", s)]],
        check=True,
        capture_output=True,
    )
    return spikesim.read(out)


@pytest.mark.parametrize("engine", ["clock", "event"])
def test_run_equals_the_cli_results_file(cli: str, tmp_path, engine: str) -> None:
    """The same model through `spikesim run` and through `Model.run`:
    every spike and sample identical (threads 2 in Python, 1 in the CLI)."""
    sets = ['simulation.duration="0.15 s"', f'simulation.engine="{engine}"']
    theirs = cli_results(cli, "models/cuba.toml", tmp_path / "cli.h5", *sets)
    model = spikesim.load("models/cuba.toml", set={"simulation.duration": "0.15 s", "simulation.engine": engine})
    ours = model.run(threads=2, progress=False)
    assert ours.populations == theirs.populations == ["exc", "inh"]
    for pop in ours.populations:
        t_ours, s_ours = ours.spikes(pop)
        t_theirs, s_theirs = theirs.spikes(pop)
        assert len(t_ours) > 100
        np.testing.assert_array_equal(s_ours, s_theirs)
        np.testing.assert_array_equal(t_ours, t_theirs)
        np.testing.assert_array_equal(ours.spike_steps(pop), theirs.spike_steps(pop))
    t1, v1, n1 = ours.state("exc", "v")
    t2, v2, n2 = theirs.state("exc", "v")
    np.testing.assert_array_equal(n1, [0, 1, 2])
    np.testing.assert_array_equal(n1, n2)
    np.testing.assert_array_equal(t1, t2)
    np.testing.assert_array_equal(v1, v2)
    for key in ("seed", "dt", "duration", "engine"):
        assert ours.info[key] == theirs.info[key]
    assert ours.rates() == theirs.rates()


def test_results_written_and_read_back_are_the_same(tmp_path) -> None:
    h5py = pytest.importorskip("h5py")
    res = spikesim.load("models/cuba.toml", set={"simulation.duration": "50 ms"}).run(progress=False)
    path = tmp_path / "sub" / "r.h5"
    res.to_hdf5(path)
    back = spikesim.read(path)
    for pop in res.populations:
        for a, b in zip(res.spikes(pop), back.spikes(pop)):
            np.testing.assert_array_equal(a, b)
    for a, b in zip(res.state("exc", "v"), back.state("exc", "v")):
        np.testing.assert_array_equal(a, b)
    # An independent reader sees the documented layout.
    with h5py.File(path, "r") as f:
        assert f.attrs["complete"] == 1
        np.testing.assert_array_equal(f["spikes/exc/senders"][:], res.spikes("exc")[1])
        np.testing.assert_array_equal(f["state/exc/v"][:], res.state("exc", "v")[1].T)
    assert not list(tmp_path.glob("sub/*partial*"))


def test_from_dict_is_the_model_file() -> None:
    tomllib = pytest.importorskip("tomllib")
    with open("models/cuba.toml", "rb") as f:
        as_dict = tomllib.load(f)
    as_dict["simulation"]["duration"] = "40 ms"
    a = spikesim.Model.from_dict(as_dict, base="models").run(progress=False)
    b = spikesim.load("models/cuba.toml", set={"simulation.duration": "40 ms"}).run(progress=False)
    for pop in b.populations:
        np.testing.assert_array_equal(a.spikes(pop)[1], b.spikes(pop)[1])
        np.testing.assert_array_equal(a.spikes(pop)[0], b.spikes(pop)[0])


def test_same_seed_same_spikes_for_any_thread_count() -> None:
    model = spikesim.load("models/cuba.toml", set={"simulation.duration": "60 ms"})
    one = model.run(threads=1, progress=False)
    two = model.run(threads=2, progress=False)
    other_seed = model.run(threads=1, seed=7, progress=False)
    np.testing.assert_array_equal(one.spikes("exc")[1], two.spikes("exc")[1])
    assert not np.array_equal(one.spikes("exc")[1], other_seed.spikes("exc")[1])


def test_state_is_a_view_of_the_recorded_samples() -> None:
    res = spikesim.load("models/cuba.toml", set={"simulation.duration": "20 ms"}).run(progress=False)
    times, v, _ = res.state("exc", "v")
    assert v.base is not None and not v.flags["OWNDATA"]
    assert v.shape == (3, len(times)) and len(times) >= 200


def test_progress_callback_counts_up_to_the_total() -> None:
    model = spikesim.load("models/cuba.toml", set={"simulation.duration": "0.3 s"})
    seen: list[tuple[int, int]] = []
    model.run(progress=lambda done, total: seen.append((done, total)))
    assert seen, "the callback was never called"
    assert all(total == 3000 for _, total in seen)
    dones = [d for d, _ in seen]
    assert dones == sorted(dones)
    assert dones[-1] == 3000


def test_progress_bar_text(capfd) -> None:
    import io

    from spikesim import _progress

    model = spikesim.load("models/single_lif.toml")
    stream = io.StringIO()
    model.run(progress=_progress.TextBar(model.simulation["steps"], model.simulation["dt"], stream))
    drawn = stream.getvalue().split("\r")
    assert drawn[-1].startswith("[" + "#" * 30 + "] 100%  0.200 s simulated")
    # progress=True draws nothing into a pipe (pytest's), as the CLI.
    model.run(progress=True)
    assert capfd.readouterr().err == ""


def test_a_failing_progress_callback_stops_the_run() -> None:
    def boom(done: int, total: int) -> None:
        raise ValueError("stop here")

    with pytest.raises(ValueError, match="stop here"):
        spikesim.load("models/cuba.toml", set={"simulation.duration": "0.2 s"}).run(progress=boom)


def test_the_gil_is_released_while_running() -> None:
    model = spikesim.load("models/cuba.toml", set={"simulation.duration": "10 s"})
    stamps: list[float] = []
    stop = threading.Event()

    def count() -> None:
        while not stop.is_set():
            stamps.append(time.monotonic())
            time.sleep(0.001)

    counter = threading.Thread(target=count)
    counter.start()
    started = time.monotonic()
    try:
        model.run(progress=False)
    finally:
        ended = time.monotonic()
        stop.set()
        counter.join()
    during = [t for t in stamps if started < t < ended]
    # A run that held the GIL would let the counter tick once at most while
    # it ran; loose, for a loaded machine.
    assert ended - started > 0.1
    assert len(during) >= 3, (len(during), ended - started)


def test_memory_estimate_and_check() -> None:
    model = spikesim.load("models/cuba.toml")
    est = model.memory_estimate()
    parts = dict(est.parts)
    assert est.total == pytest.approx(sum(parts.values()))
    assert parts["synapses"] > 0 and est.fits
    summary = model.check()
    assert summary.startswith("models/cuba.toml: ok (2 populations, 4000 neurons, 4 projections, 10000 steps of 0.1 ms)")
    assert "memory: estimated" in summary


def test_memory_limit_refused() -> None:
    big = spikesim.load(
        "models/cuba.toml",
        set={"population.exc.size": 2_000_000_000, "projection.0.connect": {"fixed_indegree": 1000}},
    )
    with pytest.raises(spikesim.MemoryLimitError, match="ignore_memory_limit=True"):
        big.check()
    with pytest.raises(spikesim.MemoryLimitError):
        big.run(progress=False)


def test_progress_bar_in_jupyter(monkeypatch, capsys) -> None:
    """In a Jupyter kernel (ipykernel loaded, stderr not a terminal) the
    bar is drawn with carriage returns, which the output area redraws."""
    import sys
    import types

    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    monkeypatch.setitem(sys.modules, "tqdm", None)  # the package's own bar
    spikesim.load("models/single_lif.toml").run(progress=True)
    err = capsys.readouterr().err
    assert "\r[" in err and "100%  0.200 s simulated" in err


def test_weights_of_a_plastic_projection_equal_the_cli(cli: str, tmp_path) -> None:
    """models/stdp_song2000.toml for 5 s: the weight snapshots through
    `Model.run` and through `spikesim run`, value for value, within
    STDP's bounds [w_min, w_max] = [0, 2 mV]."""
    theirs = cli_results(cli, "models/stdp_song2000.toml", tmp_path / "cli.h5", 'simulation.duration="5 s"')
    ours = spikesim.load("models/stdp_song2000.toml", set={"simulation.duration": "5 s"}).run(progress=False)
    assert ours.projections == theirs.projections == ["stdp"]
    times, pre, post, w = ours.weights("stdp")
    assert w.shape == (len(times), len(pre)) and len(pre) == 1000
    assert set(post.tolist()) == {0}
    assert w.min() >= 0.0 and w.max() <= 2e-3
    assert not np.array_equal(w[0], w[-1]), "STDP changed no weight in 5 s"
    for a, b in zip(ours.weights("stdp"), theirs.weights("stdp")):
        np.testing.assert_array_equal(a, b)
