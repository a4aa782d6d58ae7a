"""The progress bar of :meth:`spikesim.Model.run`: tqdm's when it is
installed (``tqdm.auto`` draws a widget in Jupyter and text in a terminal),
else a small text bar written with carriage returns, which both a terminal
and Jupyter's output area redraw in place."""

from __future__ import annotations

import sys
import time
from typing import Any, Callable, Optional


class TextBar:
    """``[#####     ]  50%  0.500 s simulated, 2.10x real time`` on stderr."""

    width = 30

    def __init__(self, total: int, dt: float, stream: Any = None) -> None:
        self.total = max(int(total), 1)
        self.dt = dt
        self.stream = stream if stream is not None else sys.stderr
        self.started = time.monotonic()
        self.last = -1.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.last < 0.2:
            return
        self.last = now
        fraction = min(done / self.total, 1.0)
        filled = int(round(fraction * self.width))
        simulated = done * self.dt
        speed = simulated / max(now - self.started, 1e-9)
        line = (
            f"\r[{'#' * filled}{' ' * (self.width - filled)}] {fraction * 100:3.0f}%  "
            f"{simulated:.3f} s simulated, {speed:.2f}x real time"
        )
        self.stream.write(line)
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


class TqdmBar:
    """The same through tqdm.auto."""

    def __init__(self, total: int, dt: float, tqdm: Any) -> None:
        self.dt = dt
        self.bar = tqdm(total=int(total), unit="step", leave=False, dynamic_ncols=True)
        self.started = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        self.bar.update(done - self.bar.n)
        simulated = done * self.dt
        speed = simulated / max(time.monotonic() - self.started, 1e-9)
        self.bar.set_postfix_str(f"{simulated:.3f} s simulated, {speed:.2f}x real time")

    def close(self) -> None:
        self.bar.close()


def interactive() -> bool:
    """Whether a bar would be seen: stderr is a terminal, or this runs in a
    Jupyter kernel (whose output area redraws carriage returns). Like the
    command line's bar, none in logs and pipes."""
    if "ipykernel" in sys.modules:
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def make(progress: Any, total: int, dt: float) -> tuple[Optional[Callable[[int, int], None]], Callable[[], None]]:
    """The callback ``(done, total)`` and the closing action for the
    ``progress`` argument of ``run``: True (a bar where one is seen, see
    :func:`interactive`), False/None (nothing), or a callable of the
    user's (called as is, e.g. a :class:`TextBar` on a stream of yours)."""
    if progress is None or progress is False:
        return None, lambda: None
    if callable(progress) and progress is not True:
        return progress, lambda: None
    if not interactive():
        return None, lambda: None
    try:
        from tqdm.auto import tqdm  # type: ignore[import-not-found]
    except ImportError:
        bar: Any = TextBar(total, dt)
    else:
        bar = TqdmBar(total, dt, tqdm)
    return bar, bar.close
