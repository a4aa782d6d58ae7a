import os
from typing import Any, Optional, Tuple, Union

from . import Model

PathLike = Union[str, os.PathLike[str]]

DISCRETISATIONS: Tuple[str, ...]
RESETS: Tuple[str, ...]

def load(
    path: PathLike,
    dt: Union[str, float],
    *,
    discretisation: str = ...,
    reset: str = ...,
    duration: Optional[Union[str, float]] = ...,
    input: Optional[PathLike] = ...,
    out: Optional[PathLike] = ...,
    record_v: bool = ...,
) -> Model: ...
def save(model: Union[Model, PathLike], path: PathLike) -> None: ...
