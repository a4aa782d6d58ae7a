"""train, continual, quantize and compare from Python: the same files and
numbers as the command line's."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

import spikesim


def experiment_copy(root: Path, folder: Path) -> Path:
    """models/train_spike_digits.toml writing into `folder`."""
    text = (root / "models" / "train_spike_digits.toml").read_text()
    text = text.replace("../stimuli", str(root / "stimuli"))
    text = text.replace('dir = "results/train_spike_digits"', f'dir = "{folder / "out"}"')
    folder.mkdir(parents=True)
    path = folder / "exp.toml"
    path.write_text(text)
    return path


def test_train_writes_what_the_cli_writes(root: Path, cli: str, tmp_path: Path, capsys) -> None:
    ours = experiment_copy(root, tmp_path / "py")
    theirs = experiment_copy(root, tmp_path / "cli")
    files = spikesim.train(ours, epochs=1, threads=1)
    printed = capsys.readouterr().out
    assert "epoch   1/1" in printed
    subprocess.run([cli, "train", str(theirs), "--epochs", "1", "--threads", "1"], check=True, capture_output=True)
    assert files["model"] == tmp_path / "py" / "out" / "model.toml"
    for name in ("w_hidden0.csv", "w_readout.csv", "input_spikes.csv"):
        assert (tmp_path / "py" / "out" / name).read_bytes() == (tmp_path / "cli" / "out" / name).read_bytes()
    # The exported model runs from Python.
    res = spikesim.load(files["model"]).run(progress=False)
    assert res.populations


def test_train_refuses_a_model_file(root: Path) -> None:
    # As `spikesim train` does: the message names the command that reads it.
    with pytest.raises(spikesim.UsageError, match="spikesim run"):
        spikesim.train(root / "models" / "cuba.toml", epochs=1, verbose=False)


def test_train_takes_set_overrides_as_the_cli_does(root: Path, tmp_path: Path, capsys) -> None:
    path = experiment_copy(root, tmp_path / "py")
    # The file asks for more epochs; `set` makes it one, as --set would.
    assert "epochs = 1\n" not in path.read_text()
    spikesim.train(path, {"training.epochs": 1}, threads=1)
    printed = capsys.readouterr().out
    assert "epoch   1/1" in printed and "epoch   2/" not in printed
    with pytest.raises(spikesim.ModelError, match="unknown field `nonsense`"):
        spikesim.train(path, {"training.nonsense": 1}, verbose=False)


def test_train_with_no_epochs_writes_nothing(root: Path, tmp_path: Path, capsys) -> None:
    path = experiment_copy(root, tmp_path / "py")
    files = spikesim.train(path, epochs=0)
    assert "nothing trained, no file written" in capsys.readouterr().out
    assert all(v is None for v in files.values()), files
    assert not (tmp_path / "py" / "out").exists()


def test_quantize_then_run_in_fixed_point(tmp_path: Path, cli: str) -> None:
    out = tmp_path / "fixed.toml"
    fixed = spikesim.quantize("models/cuba.toml", out, set={"simulation.duration": "50 ms"})
    subprocess.run(
        [cli, "quantize", "models/cuba.toml", "--set", 'simulation.duration="50 ms"', "--out", str(tmp_path / "cli.toml")],
        check=True,
        capture_output=True,
    )
    assert out.read_text() == (tmp_path / "cli.toml").read_text()
    assert fixed.simulation["engine"] == "clock (fixed-point)"
    res = fixed.run(progress=False)
    assert res.info["engine"] == "clock (fixed-point)"
    assert sum(len(res.spikes(p)[0]) for p in res.populations) > 0
    with pytest.raises(spikesim.UsageError, match="out"):
        spikesim.quantize("models/cuba.toml", "models/cuba.toml")


def test_compare_a_run_with_itself_and_another_seed(tmp_path: Path) -> None:
    model = spikesim.load("models/cuba.toml", set={"simulation.duration": "0.1 s"})
    a = model.run(progress=False)
    same = spikesim.compare(a, a)
    for d in same:
        assert d["rate_a"] == d["rate_b"]
        assert d["equal_counts"] == d["size"]
        assert d["max_abs_shift"] == 0
        assert d["matched"] == len(a.spikes(d["population"])[0])
    b = model.run(seed=99, progress=False)
    b.to_hdf5(tmp_path / "b.h5")
    other = {d["population"]: d for d in spikesim.compare(a, tmp_path / "b.h5")}
    rates_b = b.rates()
    for pop, d in other.items():
        assert d["rate_b"] == pytest.approx(rates_b[pop])
        assert d["equal_counts"] < d["size"]
    single = spikesim.load("models/single_lif.toml").run(progress=False)
    with pytest.raises(spikesim.UsageError, match="share no recorded population"):
        spikesim.compare(a, single)


def test_compare_warns_on_runs_of_different_duration() -> None:
    model = spikesim.load("models/cuba.toml", set={"simulation.duration": "0.1 s"})
    a = model.run(progress=False)
    longer = spikesim.load("models/cuba.toml", set={"simulation.duration": "0.12 s"})
    b = longer.run(progress=False)
    with pytest.warns(UserWarning, match=r"the runs last 0\.1 s \(A\) and 0\.12 s \(B\)"):
        table = spikesim.compare(a, b)
    assert {d["population"] for d in table} == {"exc", "inh"}
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        spikesim.compare(a, a)  # same duration and dt: no warning


def test_continual_rejected_where_train_is_meant(root: Path) -> None:
    exp = root / "models" / "continual_split_digits.toml"
    with pytest.raises(spikesim.UsageError, match="spikesim.continual"):
        spikesim.train(exp, verbose=False)
