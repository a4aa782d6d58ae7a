"""Bad input from Python: exceptions with the file, line and field, never a
crash of the interpreter."""

from __future__ import annotations

import subprocess
import sys

import pytest

import spikesim

BAD_TAU = """[simulation]
dt = "0.1 ms"
duration = "10 ms"

[[population]]
name = "a"
size = 2
model = "lif"
params = { tau_m = "-3 ms", v_rest = "-70 mV", v_reset = "-70 mV", v_th = "-50 mV" }
"""


def test_model_error_names_file_line_and_field(tmp_path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(BAD_TAU)
    with pytest.raises(spikesim.ModelError) as info:
        spikesim.load(path)
    e = info.value
    assert e.file == str(path)
    assert e.line == 9  # the params line
    assert e.field == "population[a].params.tau_m"
    assert str(e).startswith(f"{path}:9: population[a].params.tau_m: ")
    assert e.detail in str(e)
    assert isinstance(e, ValueError) and isinstance(e, spikesim.SpikesimError)


def test_model_error_from_a_dictionary() -> None:
    model = {
        "simulation": {"dt": "0.1 ms", "duration": "10 ms"},
        "population": [{"name": "a", "size": 2, "model": "lif", "params": {"tau_m": "20 ms"}}],
    }
    with pytest.raises(spikesim.ModelError) as info:
        spikesim.Model.from_dict(model, name="mine.toml")
    assert info.value.file == "mine.toml"
    assert info.value.field.startswith("population[a].params")


def test_dictionary_values_that_toml_cannot_hold() -> None:
    with pytest.raises(TypeError, match="simulation.duration"):
        spikesim.Model.from_dict({"simulation": {"duration": object()}})
    with pytest.raises(TypeError, match="expected a dict"):
        spikesim.Model.from_dict(["not", "a", "dict"])  # type: ignore[arg-type]


def test_missing_model_file() -> None:
    with pytest.raises(spikesim.ModelError, match="cannot read the model file") as info:
        spikesim.load("models/no_such_model.toml")
    assert info.value.file == "models/no_such_model.toml"
    assert info.value.line is None


def test_bad_override_and_bad_engine() -> None:
    with pytest.raises(spikesim.ModelError) as info:
        spikesim.load("models/single_lif.toml", set={"population.nobody.size": 3})
    assert "population.nobody.size" in info.value.field
    model = spikesim.load("models/single_lif.toml")
    with pytest.raises(spikesim.ModelError) as info:
        model.run(engine="warp", progress=False)
    assert info.value.field == "simulation.engine"
    assert info.value.line is not None


def test_unreadable_results_file(tmp_path) -> None:
    missing = tmp_path / "none.h5"
    with pytest.raises(spikesim.SpikesimIOError, match="no such file") as info:
        spikesim.read(missing)
    assert info.value.path == str(missing)
    assert isinstance(info.value, OSError)
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"not hdf5 at all" * 100)
    with pytest.raises(spikesim.SpikesimIOError, match="not an HDF5 file"):
        spikesim.read(junk)


def test_unknown_population_or_variable() -> None:
    res = spikesim.load("models/single_lif.toml").run(progress=False)
    with pytest.raises(KeyError, match="recorded: neuron"):
        res.spikes("exc")
    with pytest.raises(KeyError, match=r"\('neuron', 'v'\)"):
        res.state("neuron", "w")


def test_bad_thread_count() -> None:
    with pytest.raises(spikesim.ModelError, match="threads"):
        spikesim.load("models/single_lif.toml", threads=100_000)


def test_errors_do_not_take_the_interpreter_down(tmp_path) -> None:
    """Every failure above in a child interpreter that then carries on."""
    script = f"""
import spikesim
for call in (
    lambda: spikesim.load({str(tmp_path / 'none.toml')!r}),
    lambda: spikesim.read({str(tmp_path / 'none.h5')!r}),
    lambda: spikesim.Model.from_dict({{"simulation": {{"dt": "-1 ms"}}}}),
):
    try:
        call()
    except spikesim.SpikesimError as e:
        print(type(e).__name__)
print("still alive")
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["ModelError", "SpikesimIOError", "ModelError", "still", "alive"]


def test_damaged_results_files_are_read_in_a_child(tmp_path) -> None:
    """Results files are read by a child interpreter (``python -m
    spikesim._untrusted``), as the command line reads them in a child
    process: a file cut short or with bytes flipped is an error naming it,
    and the child's side answers on its own."""
    good = tmp_path / "good.h5"
    spikesim.load("models/single_lif.toml").run(progress=False).to_hdf5(good)
    data = good.read_bytes()
    child = subprocess.run(
        [sys.executable, "-m", "spikesim._untrusted", "__read-untrusted", "results", str(good)],
        capture_output=True,
        timeout=60,
    )
    assert child.returncode == 0, child.stderr
    assert len(child.stdout) > 0
    bad_args = subprocess.run(
        [sys.executable, "-m", "spikesim._untrusted", "__read-untrusted", "bogus"],
        capture_output=True,
        timeout=60,
    )
    assert bad_args.returncode == 2
    cut = tmp_path / "cut.h5"
    cut.write_bytes(data[: len(data) // 2])
    flipped = tmp_path / "flipped.h5"
    middle = bytearray(data)
    for i in range(len(middle) // 3, 2 * len(middle) // 3, 7):
        middle[i] ^= 0xFF
    flipped.write_bytes(bytes(middle))
    for damaged in (cut, flipped):
        with pytest.raises(spikesim.SpikesimIOError) as info:
            spikesim.read(damaged)
        assert info.value.path == str(damaged)
