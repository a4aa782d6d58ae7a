"""NIR graphs in and out (the Neuromorphic Intermediate Representation,
read and written by snnTorch, Norse, Lava, Sinabs, Rockpool...), as
``spikesim nir import`` and ``spikesim nir export`` do.

    >>> model = spikesim.nir.load("net.nir", dt="1 ms", discretisation="snntorch")
    >>> res = model.run()
    >>> spikesim.nir.save(model, "back.nir")

The file cannot say how its continuous-time equations are discretised:
``discretisation`` is yours to choose: ``"exact"`` (spikesim's exponential
integration), ``"euler"`` (forward Euler of the NIR equations) or
``"snntorch"`` (snnTorch's import: beta = 1 - dt/tau, reset to zero).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Optional, Union

from . import _native
from ._errors import UsageError

PathLike = Union[str, "os.PathLike[str]"]

DISCRETISATIONS = ("exact", "euler", "snntorch")
RESETS = ("value", "subtract")


def _quantity(value: Union[str, float], what: str) -> str:
    """A time as the CLI takes it: ``"0.1 ms"``, or seconds as a number."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and value > 0:
        return f"{float(value)!r} s"
    raise UsageError(f"{what}: expected a time such as \"0.1 ms\" or seconds > 0, got {value!r}")


def load(
    path: PathLike,
    dt: Union[str, float],
    *,
    discretisation: str = "exact",
    reset: str = "value",
    duration: Optional[Union[str, float]] = None,
    input: Optional[PathLike] = None,
    out: Optional[PathLike] = None,
    record_v: bool = False,
) -> Any:
    """Import the NIR graph ``path`` as a spikesim model and load it.

    ``dt`` is the time step (``"0.1 ms"`` or seconds); ``discretisation``
    one of ``"exact"``, ``"euler"``, ``"snntorch"``; ``reset`` ``"value"``
    or ``"subtract"``; ``duration`` the simulated time; ``input`` a spike
    CSV (``neuron,step``) driving the graph's Input. The model file (and
    the files beside it) go to ``out``, by default into a new temporary
    folder. Raises :class:`spikesim.NirError` naming the node and field.

    The command line's ``spikesim nir import``:

    {cli}
    """
    from . import load as load_model

    if discretisation not in DISCRETISATIONS:
        raise UsageError(f"discretisation: expected one of {', '.join(DISCRETISATIONS)}, got {discretisation!r}")
    if reset not in RESETS:
        raise UsageError(f"reset: expected one of {', '.join(RESETS)}, got {reset!r}")
    dt_text = _quantity(dt, "dt")
    duration_text = None if duration is None else _quantity(duration, "duration")
    nir_import = _native.nir_import
    if out is None:
        out = Path(tempfile.mkdtemp(prefix="spikesim-nir-")) / (Path(path).stem + ".toml")
    nir_import(
        os.fspath(path),
        os.fspath(out),
        dt_text,
        discretisation,
        reset,
        duration_text,
        None if input is None else os.fspath(input),
        record_v,
    )
    return load_model(out)


def save(model: Any, path: PathLike) -> None:
    """Export a model (a :class:`spikesim.Model` loaded from a file, a
    model file, or the output folder of ``spikesim.train``) as the NIR
    graph ``path``. Raises :class:`spikesim.NirError` for what NIR cannot
    express (e.g. STDP)."""
    from . import Model

    nir_export = _native.nir_export
    if isinstance(model, Model):
        source = model.path
        if not source.is_file():
            raise UsageError(
                f"spikesim.nir.save: {source} is not a model file; write the model's "
                "text (model.text) to a file and load that first"
            )
    else:
        source = Path(model)
    nir_export(os.fspath(source), os.fspath(path))


def _share_cli_help() -> None:
    """The ``{cli}`` of load's docstring: ``spikesim nir import --help``,
    rendered from the CLI's own definitions (when this build has NIR)."""
    if load.__doc__ is None:
        return
    try:
        text = _native.cli_help("nir import")
    except ValueError:
        text = "(not in this build)"
    load.__doc__ = load.__doc__.replace("{cli}", "\n    ".join(text.rstrip().splitlines()))


_share_cli_help()
