import os
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple, Union

import numpy as np
import numpy.typing as npt

from . import nir as nir
from . import plot as plot
from ._errors import (
    MemoryLimitError as MemoryLimitError,
    ModelError as ModelError,
    NirError as NirError,
    RunInterrupted as RunInterrupted,
    SimulationError as SimulationError,
    SpikesimError as SpikesimError,
    SpikesimIOError as SpikesimIOError,
    UsageError as UsageError,
)

__version__: str
__all__: List[str]

PathLike = Union[str, os.PathLike[str]]
Progress = Union[bool, Callable[[int, int], None], None]

class MemoryEstimate:
    parts: List[Tuple[str, float]]
    total: float
    available: Optional[float]
    def __init__(self, parts: List[Tuple[str, float]], available: Optional[float]) -> None: ...
    @property
    def fits(self) -> bool: ...

class Model:
    notes: List[str]
    @classmethod
    def from_dict(
        cls,
        model: Mapping[str, Any],
        *,
        name: str = ...,
        base: Optional[PathLike] = ...,
        set: Optional[Mapping[str, Any]] = ...,
    ) -> Model: ...
    @classmethod
    def from_toml(
        cls,
        text: str,
        *,
        name: str = ...,
        base: Optional[PathLike] = ...,
        set: Optional[Mapping[str, Any]] = ...,
    ) -> Model: ...
    def with_set(self, set: Optional[Mapping[str, Any]] = ..., **simulation: Any) -> Model: ...
    @property
    def path(self) -> Path: ...
    @property
    def text(self) -> str: ...
    @property
    def warnings(self) -> List[str]: ...
    @property
    def populations(self) -> Dict[str, int]: ...
    @property
    def simulation(self) -> Dict[str, Any]: ...
    def check(self, *, ignore_memory_limit: bool = ...) -> str: ...
    def memory_estimate(self, threads: Optional[int] = ...) -> MemoryEstimate: ...
    def run(
        self,
        *,
        threads: Optional[int] = ...,
        engine: Optional[str] = ...,
        seed: Optional[int] = ...,
        progress: Progress = ...,
        ignore_memory_limit: bool = ...,
    ) -> Results: ...

class Results:
    info: Dict[str, Any]
    def __init__(self, data: Dict[str, Any]) -> None: ...
    @property
    def dt(self) -> float: ...
    @property
    def duration(self) -> float: ...
    @property
    def populations(self) -> List[str]: ...
    @property
    def states(self) -> List[Tuple[str, str]]: ...
    @property
    def projections(self) -> List[str]: ...
    def spikes(self, population: str) -> Tuple[npt.NDArray[np.float64], npt.NDArray[np.uint32]]: ...
    def spike_steps(self, population: str) -> npt.NDArray[np.uint64]: ...
    def size(self, population: str) -> int: ...
    def state(
        self, population: str, variable: str = ...
    ) -> Tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.uint32]]: ...
    def state_unit(self, population: str, variable: str = ...) -> str: ...
    def weights(
        self, projection: str
    ) -> Tuple[
        npt.NDArray[np.float64], npt.NDArray[np.uint32], npt.NDArray[np.uint32], npt.NDArray[np.float64]
    ]: ...
    def rates(self) -> Dict[str, float]: ...
    def to_hdf5(self, path: PathLike) -> None: ...
    def plot_raster(self, populations: Optional[Iterable[str]] = ..., **kwargs: Any) -> Any: ...
    def plot_potential(
        self,
        population: Optional[str] = ...,
        variable: str = ...,
        neurons: Optional[Iterable[int]] = ...,
        **kwargs: Any,
    ) -> Any: ...

def load(
    path: PathLike,
    set: Optional[Mapping[str, Any]] = ...,
    *,
    seed: Optional[int] = ...,
    threads: Optional[int] = ...,
) -> Model: ...
def read(path: PathLike) -> Results: ...
def train(
    experiment: PathLike,
    set: Optional[Mapping[str, Any]] = ...,
    *,
    resume: bool = ...,
    epochs: Optional[int] = ...,
    threads: Optional[int] = ...,
    ignore_memory_limit: bool = ...,
    progress: bool = ...,
    verbose: bool = ...,
) -> Dict[str, Optional[Path]]: ...
def continual(
    experiment: PathLike,
    set: Optional[Mapping[str, Any]] = ...,
    *,
    resume: bool = ...,
    threads: Optional[int] = ...,
    ignore_memory_limit: bool = ...,
    seeds: Optional[List[int]] = ...,
    stop_after_tasks: Optional[int] = ...,
    progress: bool = ...,
    verbose: bool = ...,
) -> Dict[str, Any]: ...
def quantize(
    model: Union[Model, PathLike], out: PathLike, *, set: Optional[Mapping[str, Any]] = ...
) -> Model: ...
def compare(a: Union[Results, PathLike], b: Union[Results, PathLike]) -> List[Dict[str, Any]]: ...
