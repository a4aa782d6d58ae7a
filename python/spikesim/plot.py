"""matplotlib figures of results, for notebooks (the command line's
PNG/SVG plots are drawn by the Rust side: ``spikesim plot``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Optional


if TYPE_CHECKING:
    from . import Results


def _figure(**kwargs: Any) -> Any:
    # pyplot's figure, so that Jupyter shows it; pyplot picks a backend
    # that suits (Agg without a display).
    import matplotlib.pyplot as plt

    return plt.figure(**kwargs)


def raster(
    results: "Results",
    populations: Optional[Iterable[str]] = None,
    *,
    start: float = 0.0,
    end: Optional[float] = None,
    markersize: float = 1.5,
    figsize: Any = (8, 4),
) -> Any:
    """Spike raster: one row per neuron, populations stacked (the first at
    the bottom) and coloured apart, times in ms. ``start``/``end`` (s) cut
    the time axis. Returns the Figure."""
    names = list(populations) if populations is not None else results.populations
    fig = _figure(figsize=figsize)
    ax = fig.add_subplot(1, 1, 1)
    offset = 0
    ticks, labels = [], []
    end = results.duration if end is None else end
    for name in names:
        times, senders = results.spikes(name)
        keep = (times >= start) & (times <= end)
        ax.plot(
            times[keep] * 1e3,
            senders[keep] + offset,
            "|" if len(times) < 2000 else ".",
            markersize=markersize,
            label=name,
        )
        size = results.size(name)
        ticks.append(offset + size / 2)
        labels.append(name)
        offset += size
    ax.set_xlim(start * 1e3, end * 1e3)
    ax.set_ylim(-0.5, max(offset, 1) - 0.5)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("neuron")
    if len(names) > 1:
        ax.legend(loc="upper right", markerscale=4)
    ax.set_title("spikes")
    return fig


def potential(
    results: "Results",
    population: Optional[str] = None,
    variable: str = "v",
    neurons: Optional[Iterable[int]] = None,
    *,
    threshold: bool = True,
    figsize: Any = (8, 4),
) -> Any:
    """A recorded variable against time (ms), one line per neuron (the
    recorded ones, or ``neurons`` among them), in mV for volts; the
    threshold dashed when the model has one. ``population`` defaults to the
    first with that variable recorded. Returns the Figure."""
    if population is None:
        found = [p for p, v in results.states if v == variable]
        if not found:
            raise KeyError(f"no population has `{variable}` recorded in these results")
        population = found[0]
    times, values, recorded = results.state(population, variable)
    unit = results.state_unit(population, variable)
    scale, shown = (1e3, "mV") if unit == "V" else (1.0, unit)
    rows = range(len(recorded))
    if neurons is not None:
        wanted = set(int(n) for n in neurons)
        rows = [i for i, n in enumerate(recorded) if int(n) in wanted]
    fig = _figure(figsize=figsize)
    ax = fig.add_subplot(1, 1, 1)
    for i in rows:
        ax.plot(times * 1e3, values[i] * scale, lw=0.8, label=f"neuron {recorded[i]}")
    th = results._states[(population, variable)].get("threshold")
    if threshold and th is not None:
        ax.axhline(th * scale, color="k", ls="--", lw=0.8, label="threshold")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(f"{variable} ({shown})" if shown else variable)
    ax.set_title(f"{population}: {variable}")
    if 0 < len(rows) <= 10:
        ax.legend(loc="upper right", fontsize="small")
    return fig


__all__ = ["raster", "potential"]
