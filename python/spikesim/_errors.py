"""The exceptions spikesim raises. Every one is a :class:`SpikesimError`
(and also the built-in it resembles), except :class:`RunInterrupted`, a
:class:`KeyboardInterrupt` that carries the results up to the interruption.
"""

from __future__ import annotations

from typing import Any, Optional


class SpikesimError(Exception):
    """Base class of spikesim's errors."""

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        for key, value in fields.items():
            setattr(self, key, value)


class ModelError(SpikesimError, ValueError):
    """A model or experiment file (or dictionary) that is not valid.

    Attributes: ``file`` (the path), ``line`` (1-based, or None when the
    parser gave no position), ``field`` (dotted path such as
    ``population[exc].params.tau_m``, "" for the whole file), ``detail``
    (the message without the location).
    """

    file: str
    line: Optional[int]
    field: str
    detail: str

    def __init__(
        self,
        message: str,
        file: Optional[str] = None,
        line: Optional[str] = None,
        field: Optional[str] = None,
        detail: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.file = file if file is not None else ""
        self.line = int(line) if line is not None else None
        self.field = field if field is not None else ""
        self.detail = detail if detail is not None else message


class SpikesimIOError(SpikesimError, OSError):
    """A results, dataset or plot file that cannot be read or written
    (``path`` names it when known)."""

    def __init__(self, message: str, path: Optional[str] = None) -> None:
        SpikesimError.__init__(self, message)
        self.path = path

    def __str__(self) -> str:
        return self.message


class UsageError(SpikesimError, ValueError):
    """An argument or option that spikesim refuses (what the CLI calls a
    usage error)."""


class MemoryLimitError(SpikesimError, MemoryError):
    """A run whose memory estimate exceeds what this machine offers (pass
    ``ignore_memory_limit=True`` to try anyway), or an allocation that
    failed."""


class SimulationError(SpikesimError, RuntimeError):
    """A run that stopped short: a state variable became NaN or infinite,
    or an internal error. ``results`` holds the run up to there, when
    there is something to hold."""

    results: Any = None


class NirError(SpikesimError, ValueError):
    """A NIR graph spikesim cannot read, import or write: ``file``, ``node``
    (path such as ``outer/inner/lif1``, "" for the file) and ``field``."""

    def __init__(
        self,
        message: str,
        file: Optional[str] = None,
        node: Optional[str] = None,
        field: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.file = file if file is not None else ""
        self.node = node if node is not None else ""
        self.field = field


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C (SIGINT) during :meth:`Model.run`: the run stopped cleanly at
    its next epoch boundary. ``results`` holds everything up to
    ``reached`` seconds of simulated time (``results.info["reached"]``)."""

    def __init__(self, message: str, reached: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        self.reached = float(reached) if reached is not None else None
        self.results: Any = None

    def __str__(self) -> str:
        return self.message
