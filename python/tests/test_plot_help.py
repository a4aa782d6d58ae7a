"""Figures, docstrings shared with the CLI's --help, and the stubs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

import spikesim

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


@pytest.fixture(scope="module")
def cuba() -> spikesim.Results:
    return spikesim.load("models/cuba.toml", set={"simulation.duration": "0.1 s"}).run(progress=False)


def test_raster_draws_every_spike(cuba: spikesim.Results) -> None:
    fig = cuba.plot_raster()
    assert isinstance(fig, matplotlib.figure.Figure)
    ax = fig.axes[0]
    drawn = sum(len(line.get_xdata()) for line in ax.get_lines())
    assert drawn == sum(len(cuba.spikes(p)[0]) for p in cuba.populations)
    # Inhibitory neurons above the excitatory ones.
    inh = ax.get_lines()[1].get_ydata()
    assert inh.min() >= 3200
    assert ax.get_xlim() == pytest.approx((0, 100))


def test_potential_draws_the_samples_in_mv(cuba: spikesim.Results) -> None:
    fig = cuba.plot_potential("exc", neurons=[1, 2])
    lines = fig.axes[0].get_lines()
    times, v, neurons = cuba.state("exc", "v")
    assert len(lines) == 3  # two neurons and the threshold
    np.testing.assert_allclose(lines[0].get_ydata(), v[1] * 1e3)
    np.testing.assert_allclose(lines[0].get_xdata(), times * 1e3)
    assert lines[2].get_ydata()[0] == pytest.approx(-50.0)


def cli_help_lines(cli: str, command: str) -> list[str]:
    out = subprocess.run([cli, command, "--help"], capture_output=True, text=True, check=True).stdout
    return [" ".join(l.split()) for l in out.splitlines() if l.strip()]


@pytest.mark.parametrize(
    "function,command",
    [
        ("load", "run"),
        ("Model.run", "run"),
        ("Model.check", "check"),
        ("train", "train"),
        ("continual", "continual"),
        ("quantize", "quantize"),
    ],
)
def test_docstrings_say_what_the_cli_help_says(cli: str, function: str, command: str) -> None:
    obj = spikesim
    for part in function.split("."):
        obj = getattr(obj, part)
    doc = " ".join(obj.__doc__.split())
    lines = cli_help_lines(cli, command)
    # From the usage line on (above it: the subcommand's one-line summary),
    # every option and its description; not clap's own --help.
    lines = lines[next(i for i, l in enumerate(lines) if l.startswith("Usage:")) :]
    lines = [l for l in lines if not l.startswith(("-h, --help", "Print help"))]
    assert sum(l.startswith("--") for l in lines) >= 3
    for line in lines:
        assert line in doc, f"{line!r} of `spikesim {command} --help` missing from spikesim.{function}.__doc__"


def test_stubs_cover_the_public_api() -> None:
    package = Path(spikesim.__file__).parent
    assert (package / "py.typed").is_file()
    stub = (package / "__init__.pyi").read_text()
    for name in spikesim.__all__:
        if name != "nir":
            assert f"{name}" in stub, name
    assert "def load(" in (package / "nir.pyi").read_text()
