"""spikesim from Python: load a model file (or a dictionary with the same
schema), check it, run it with NumPy results, plot them, and run the
training, continual-learning, quantization and comparison commands over the
same files as the ``spikesim`` command line.

    >>> import spikesim
    >>> model = spikesim.load("models/cuba.toml", set={"simulation.duration": "0.2 s"})
    >>> res = model.run(threads=2, progress=False)
    >>> times, senders = res.spikes("exc")
    >>> fig = res.plot_raster()

Errors are exceptions: :class:`ModelError` (with ``.file``, ``.line`` and
``.field``) for model files, :class:`SpikesimIOError` for results files,
:class:`UsageError`, :class:`MemoryLimitError`, :class:`SimulationError`;
Ctrl-C during a run raises :class:`RunInterrupted` (a KeyboardInterrupt)
carrying the results up to there.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple, Union

import numpy as np

from . import _native
from . import _progress
from ._errors import (
    MemoryLimitError,
    ModelError,
    NirError,
    RunInterrupted,
    SimulationError,
    SpikesimError,
    SpikesimIOError,
    UsageError,
)

__version__: str = _native.__version__

# HDF5 files from outside (results, datasets, spike files, NIR graphs) are
# read in a child interpreter, as the command line reads them in a child
# process: libhdf5 can crash on a damaged file, and that must end the child,
# never the user's session.
if sys.executable:
    _native.guard_reads(sys.executable, ["-m", "spikesim._untrusted"])

__all__ = [
    "Model",
    "Results",
    "MemoryEstimate",
    "load",
    "read",
    "train",
    "continual",
    "quantize",
    "compare",
    "nir",
    "SpikesimError",
    "ModelError",
    "SpikesimIOError",
    "UsageError",
    "MemoryLimitError",
    "SimulationError",
    "RunInterrupted",
    "NirError",
]

PathLike = Union[str, "os.PathLike[str]"]


def _overrides(set: Optional[Mapping[str, Any]] = None, **options: Any) -> List[str]:
    """``{"simulation.duration": "2 s"}`` as the CLI's ``--set`` strings
    (each value as a TOML value: JSON's strings, numbers, booleans and
    arrays are TOML's too)."""
    out = []
    for key, value in (set or {}).items():
        out.append(f"{key}={_toml_value(value)}")
    for key, value in options.items():
        if value is not None:
            out.append(f"simulation.{key}={_toml_value(value)}")
    return out


def _toml_value(value: Any) -> str:
    """A TOML inline value: JSON's strings, numbers, booleans and arrays
    are TOML's too; dicts become inline tables."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, Mapping):
        items = ", ".join(f"{json.dumps(str(k))} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + items + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(value)


class MemoryEstimate:
    """A model's memory estimate: ``parts`` ``[(what, bytes)]`` largest
    first, ``total`` bytes, and ``available`` (the machine's limit in bytes,
    None when unknown)."""

    def __init__(self, parts: List[Tuple[str, float]], available: Optional[float]) -> None:
        self.parts = list(parts)
        self.total = float(sum(b for _, b in parts))
        self.available = available

    @property
    def fits(self) -> bool:
        """Whether the estimate is within what the machine offers."""
        return self.available is None or self.total <= self.available

    def __repr__(self) -> str:
        parts = ", ".join(f"{what} {_bytes(b)}" for what, b in self.parts[:4])
        avail = "unknown" if self.available is None else _bytes(self.available)
        return f"MemoryEstimate(total {_bytes(self.total)}: {parts}; available {avail})"


def _bytes(b: float) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if b >= size:
            return f"{b / size:.1f} {unit}"
    return f"{b:.0f} B"


class Model:
    """A validated model. Make one with :func:`load`, :meth:`from_dict` or
    :meth:`from_toml`; it does not change (``with_set`` gives a new one)."""

    def __init__(self, native: Any) -> None:
        self._native = native
        self.notes: List[str] = []

    # -- construction ---------------------------------------------------
    @classmethod
    def from_dict(
        cls,
        model: Mapping[str, Any],
        *,
        name: str = "<dict>",
        base: Optional[PathLike] = None,
        set: Optional[Mapping[str, Any]] = None,
    ) -> "Model":
        """A model from a dictionary with the model files' schema: sections
        as dicts, ``population``/``projection``/``record``... as lists of
        dicts, quantities as strings with units (``"20 ms"``). ``name`` is
        the file name errors give; relative file names in the model are
        resolved from ``base`` (default: the current directory). Raises
        :class:`ModelError`."""
        if not isinstance(model, Mapping):
            raise TypeError(f"Model.from_dict: expected a dict, got {type(model).__name__}")
        text = _native.dict_to_toml(dict(model))
        return cls.from_toml(text, name=name, base=base, set=set)

    @classmethod
    def from_toml(
        cls,
        text: str,
        *,
        name: str = "<text>",
        base: Optional[PathLike] = None,
        set: Optional[Mapping[str, Any]] = None,
    ) -> "Model":
        """A model from the text of a model file (see :meth:`from_dict`)."""
        path = Path(base) / name if base is not None else Path(name)
        return cls(_native.model_from_text(text, os.fspath(path), _overrides(set)))

    def with_set(self, set: Optional[Mapping[str, Any]] = None, **simulation: Any) -> "Model":
        """This model with more overrides, e.g.
        ``model.with_set({"population.exc.size": 100}, seed=3)`` (keyword
        arguments are fields of ``[simulation]``)."""
        return Model(self._native.with_overrides(_overrides(set, **simulation)))

    # -- what it is -----------------------------------------------------
    @property
    def path(self) -> Path:
        """The model file (or the name given to a dictionary)."""
        return Path(self._native.path)

    @property
    def text(self) -> str:
        """The model file's text as validated, overrides applied."""
        return self._native.text

    @property
    def warnings(self) -> List[str]:
        """What the validation warned about."""
        return list(self._native.warnings)

    @property
    def populations(self) -> Dict[str, int]:
        """Population name -> number of neurons."""
        return dict(self._native.populations)

    @property
    def simulation(self) -> Dict[str, Any]:
        """``dt``, ``duration`` (seconds), ``steps``, ``seed``, ``threads``, ``engine``."""
        return dict(self._native.simulation)

    def __repr__(self) -> str:
        s = self.simulation
        return (
            f"Model({str(self.path)!r}: {len(self.populations)} populations, "
            f"{sum(self.populations.values())} neurons, {s['duration']} s in steps of "
            f"{s['dt'] * 1e3} ms, {s['engine']})"
        )

    # -- checks ---------------------------------------------------------
    def check(self, *, ignore_memory_limit: bool = False) -> str:
        """What ``spikesim check`` says of the model (it was validated when
        loaded): a summary with the memory estimate. Raises
        :class:`MemoryLimitError` when the run would not fit, unless
        ``ignore_memory_limit``.

        The command line's ``spikesim check``:

        {cli}
        """
        return self._native.check(ignore_memory_limit)

    def memory_estimate(self, threads: Optional[int] = None) -> MemoryEstimate:
        """The estimated memory of a run on ``threads`` workers (the
        model's count by default), recordings held in memory."""
        parts, available = self._native.memory_estimate(threads)
        return MemoryEstimate(parts, available)

    # -- running --------------------------------------------------------
    def run(
        self,
        *,
        threads: Optional[int] = None,
        engine: Optional[str] = None,
        seed: Optional[int] = None,
        progress: Union[bool, Callable[[int, int], None], None] = True,
        ignore_memory_limit: bool = False,
    ) -> "Results":
        """Simulate the model, results kept in memory (what ``spikesim run``
        writes to its file).

        ``threads`` (0 = all cores), ``engine`` (``"clock"`` or
        ``"event"``) and ``seed`` override ``[simulation]``. ``progress``:
        True draws a bar (tqdm's if installed) in a terminal or Jupyter
        (none when stderr is a pipe or a file, as with the CLI), False
        none, or a callable ``progress(steps_done, steps_total)`` (such as
        ``spikesim._progress.TextBar(total, dt, stream)``).
        The GIL is released while the simulation runs. Ctrl-C stops it at
        the next epoch boundary and raises :class:`RunInterrupted` whose
        ``results`` hold the run so far. Raises :class:`ModelError` for a
        bad override, :class:`MemoryLimitError`, :class:`SimulationError`
        (a state became NaN or infinite; ``results`` up to there).

        The command line's ``spikesim run`` (see :func:`load` for which
        option is which argument here):

        {cli}
        """
        model = self
        if threads is not None or engine is not None or seed is not None:
            model = self.with_set(threads=threads, engine=engine, seed=seed)
        sim = model.simulation
        callback, close = _progress.make(progress, sim["steps"], sim["dt"])
        try:
            data, error = model._native.run(callback, ignore_memory_limit)
        finally:
            close()
        results = Results(data)
        if error is not None:
            error.results = results
            raise error
        return results


def load(
    path: PathLike,
    set: Optional[Mapping[str, Any]] = None,
    *,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
) -> Model:
    """Read and validate a model file, as ``spikesim run`` and ``spikesim
    check`` do. ``set`` overrides fields (the CLI's ``--set``):
    ``{"simulation.duration": "2 s", "population.exc.size": 100}``; ``seed``
    and ``threads`` override ``[simulation]``. Validation warnings are
    issued as Python warnings. Raises :class:`ModelError` (``.file``,
    ``.line``, ``.field``).

    What the options of ``spikesim run`` below are from Python: ``--set``,
    ``--seed``, ``--threads`` are ``set=``, ``seed=``, ``threads=`` here
    (or of :meth:`Model.run` / :meth:`Model.with_set`);
    ``--ignore-memory-limit`` is ``run(ignore_memory_limit=True)``;
    ``--out`` is :meth:`Results.to_hdf5`; plots are
    :meth:`Results.plot_raster` / :meth:`Results.plot_potential`;
    checkpoints, ``--resume`` and ``--buffer`` are the command line's only.

    {cli}
    """
    native = _native.load_model(os.fspath(path), _overrides(set, seed=seed, threads=threads))
    model = Model(native)
    _warn(model.warnings)
    return model


def _warn(warnings_: Iterable[str]) -> None:
    import warnings

    for w in warnings_:
        warnings.warn(w, stacklevel=3)


def read(path: PathLike) -> "Results":
    """Read a results file (``spikesim run``'s, or :meth:`Results.to_hdf5`'s).
    Raises :class:`SpikesimIOError`."""
    return Results(_native.read_results(os.fspath(path)))


class Results:
    """What a run recorded: spikes, sampled state variables, weight
    snapshots of plastic projections, and ``info`` (seed, dt, duration,
    engine, timings, the model text...). Arrays are NumPy arrays; times in
    seconds."""

    def __init__(self, data: Dict[str, Any]) -> None:
        self._data = data
        self.info: Dict[str, Any] = data["info"]
        self._spikes = {s["population"]: s for s in data["spikes"]}
        self._states = {(s["population"], s["variable"]): s for s in data["states"]}
        self._weights = {w["projection"]: w for w in data["weights"]}

    @property
    def dt(self) -> float:
        """The time step (s)."""
        return float(self.info["dt"])

    @property
    def duration(self) -> float:
        """The simulated time the recordings cover (s): the whole run, or
        what an interrupted run reached."""
        reached = self.info.get("reached")
        return float(reached if reached is not None else self.info["duration"])

    @property
    def populations(self) -> List[str]:
        """Populations whose spikes were recorded."""
        return list(self._spikes)

    @property
    def states(self) -> List[Tuple[str, str]]:
        """Recorded ``(population, variable)`` pairs."""
        return list(self._states)

    @property
    def projections(self) -> List[str]:
        """Projections whose weights were recorded."""
        return list(self._weights)

    def __repr__(self) -> str:
        spikes = ", ".join(f"{p}: {len(s['steps'])}" for p, s in self._spikes.items())
        return f"Results({self.duration} s, {self.info['engine']}; spikes {{{spikes}}})"

    def _get(self, table: Dict[Any, Any], key: Any, what: str) -> Dict[str, Any]:
        try:
            return table[key]
        except KeyError:
            known = ", ".join(map(str, table)) or "none"
            raise KeyError(f"no {what} {key!r} in these results (recorded: {known})") from None

    def spikes(self, population: str) -> Tuple[np.ndarray, np.ndarray]:
        """``(times, senders)``: each spike's time (s) and neuron index
        within the population, in emission order."""
        s = self._get(self._spikes, population, "spikes of population")
        return s["times"], s["senders"]

    def spike_steps(self, population: str) -> np.ndarray:
        """The grid step of each spike (``time = step * dt`` on the clock
        engines)."""
        return self._get(self._spikes, population, "spikes of population")["steps"]

    def size(self, population: str) -> int:
        """Neurons in a population whose spikes were recorded."""
        return int(self._get(self._spikes, population, "spikes of population")["size"])

    def state(self, population: str, variable: str = "v") -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(times, values, neurons)``: sample times (s), the samples as an
        array ``[neuron, time]`` (a view, no copy) and the recorded neurons'
        indices (``values[i]`` is neuron ``neurons[i]``). SI units
        (``state_unit``)."""
        s = self._get(self._states, (population, variable), "state")
        return s["steps"] * self.dt, s["values"].T, s["neurons"]

    def state_unit(self, population: str, variable: str = "v") -> str:
        """The SI unit of a recorded variable ("V", "A", ...)."""
        return self._get(self._states, (population, variable), "state")["unit"]

    def weights(self, projection: str) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(times, pre, post, values)``: snapshot times (s), each
        synapse's pre- and postsynaptic neuron, and ``values[snapshot,
        synapse]``."""
        w = self._get(self._weights, projection, "weights of projection")
        return w["times"], w["pre"], w["post"], w["values"]

    def rates(self) -> Dict[str, float]:
        """Mean firing rate (Hz) of each recorded population over the
        recorded time."""
        out = {}
        for p, s in self._spikes.items():
            size, covered = s["size"], self.duration
            out[p] = 0.0 if size == 0 or covered <= 0 else len(s["steps"]) / (size * covered)
        return out

    def to_hdf5(self, path: PathLike) -> None:
        """Write a results file with ``spikesim run``'s layout (written
        beside, then moved into place); :func:`read` and the CLI's ``plot``,
        ``info`` and ``compare`` read it. Makes the folder if needed."""
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        _native.write_results(os.fspath(path), self._data)

    def plot_raster(self, populations: Optional[Iterable[str]] = None, **kwargs: Any) -> Any:
        """A raster plot (matplotlib Figure) of the recorded spikes; see
        :func:`spikesim.plot.raster`."""
        from . import plot

        return plot.raster(self, populations, **kwargs)

    def plot_potential(
        self,
        population: Optional[str] = None,
        variable: str = "v",
        neurons: Optional[Iterable[int]] = None,
        **kwargs: Any,
    ) -> Any:
        """Membrane potential (or another recorded variable) against time
        (matplotlib Figure); see :func:`spikesim.plot.potential`."""
        from . import plot

        return plot.potential(self, population, variable, neurons, **kwargs)


# -- the experiment commands --------------------------------------------


def train(
    experiment: PathLike,
    set: Optional[Mapping[str, Any]] = None,
    *,
    resume: bool = False,
    epochs: Optional[int] = None,
    threads: Optional[int] = None,
    ignore_memory_limit: bool = False,
    progress: bool = False,
    verbose: bool = True,
) -> Dict[str, Optional[Path]]:
    """Train a spiking network as an experiment file describes, as
    ``spikesim train`` does. Returns the files written: ``metrics_csv``,
    ``metrics_h5``, ``learning_curve``, ``checkpoint``, and ``model``,
    ``weights``, ``input`` of the exported model file (``model`` is None
    when the network has no model-file form; every one is None with
    ``epochs=0``, which validates the file and writes nothing). ``set``
    overrides fields of the file as ``--set`` does
    (``{"training.epochs": 2}``). ``verbose``
    prints the report lines; ``progress`` draws the CLI's bars on the
    terminal.

    The command line's options:

    {cli}
    """
    files = _native.train(
        os.fspath(experiment),
        resume,
        epochs,
        threads,
        ignore_memory_limit,
        progress,
        print if verbose else None,
        _overrides(set),
    )
    return {k: (Path(v) if v is not None else None) for k, v in files.items()}


def continual(
    experiment: PathLike,
    set: Optional[Mapping[str, Any]] = None,
    *,
    resume: bool = False,
    threads: Optional[int] = None,
    ignore_memory_limit: bool = False,
    seeds: Optional[List[int]] = None,
    stop_after_tasks: Optional[int] = None,
    progress: bool = False,
    verbose: bool = True,
) -> Dict[str, Any]:
    """Continual learning over a task sequence with several methods, as
    ``spikesim continual`` does. Returns ``{"files": [...], "complete":
    bool}`` (``complete`` is False after ``stop_after_tasks``). ``set``
    overrides fields of the file as ``--set`` does.

    The command line's options:

    {cli}
    """
    files, complete = _native.continual(
        os.fspath(experiment),
        resume,
        threads,
        ignore_memory_limit,
        seeds,
        stop_after_tasks,
        progress,
        print if verbose else None,
        _overrides(set),
    )
    return {"files": [Path(f) for f in files], "complete": complete}


def quantize(
    model: Union[Model, PathLike],
    out: PathLike,
    *,
    set: Optional[Mapping[str, Any]] = None,
) -> Model:
    """Map a float LIF / CuBa model to a fixed-point (Loihi) model file
    ``out``, as ``spikesim quantize`` does, and load it. The returned
    model's ``notes`` say what the mapping changed.

    The command line's options:

    {cli}
    """
    if not isinstance(model, Model):
        model = load(model, set=set)
    elif set:
        model = model.with_set(set)
    notes = _native.quantize(model._native, os.fspath(out))
    fixed = load(out)
    fixed.notes = list(notes)
    return fixed


def compare(a: Union["Results", PathLike], b: Union["Results", PathLike]) -> List[Dict[str, Any]]:
    """Compare the spikes of two runs (results or results files), as
    ``spikesim compare`` does: one dict per population recorded in both,
    with ``rate_a``, ``rate_b`` (Hz), ``relative_rate_change``,
    ``count_correlation``, ``equal_counts``, ``matched`` spike pairs and
    their shifts ``mean_shift``, ``mean_abs_shift``, ``median_abs_shift``,
    ``max_abs_shift`` (s). Raises :class:`UsageError` when they share no
    population. Warns (``UserWarning``, as the CLI's ``warning:`` lines)
    when the runs differ in duration or time step."""
    ra = a if isinstance(a, Results) else read(a)
    rb = b if isinstance(b, Results) else read(b)
    table = _native.compare_results(ra._data, rb._data)
    for message in _run_differences(ra.info, rb.info):
        warnings.warn(message, stacklevel=2)
    return table


def _run_differences(a: Mapping[str, Any], b: Mapping[str, Any]) -> List[str]:
    """What makes two runs' rates and counts not comparable as they stand,
    in the words of ``spikesim compare`` (``cli::compare::differences``)."""
    out = []
    if a["duration"] != b["duration"]:
        out.append(
            f"the runs last {a['duration']} s (A) and {b['duration']} s (B): "
            "spike counts and shifts cover different spans"
        )
    if a["dt"] != b["dt"]:
        out.append(f"the runs step by {a['dt'] * 1e3} ms (A) and {b['dt'] * 1e3} ms (B)")
    return out


def _share_cli_help() -> None:
    """Fill the ``{cli}`` of the docstrings with the CLI's option help,
    rendered from the same definitions as ``spikesim COMMAND --help``."""
    for function, command, indent in (
        (load, "run", 4),
        (Model.run, "run", 8),
        (Model.check, "check", 8),
        (train, "train", 4),
        (continual, "continual", 4),
        (quantize, "quantize", 4),
    ):
        if function.__doc__ is None:  # python -OO
            continue
        text = _native.cli_help(command)
        indented = ("\n" + " " * indent).join(text.rstrip().splitlines())
        function.__doc__ = function.__doc__.replace("{cli}", indented)


_share_cli_help()

from . import nir  # noqa: E402  (the NIR functions need the names above)
