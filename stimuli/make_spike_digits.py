#!/usr/bin/env python3
"""spike-digits: scikit-learn's 1 797 8x8 handwritten digits as spike trains,
written in the Spiking Heidelberg Digits HDF5 layout.

Each of the 64 pixels (intensity 0..16) drives one input channel:
  * rate:    Bernoulli spikes in 1 ms bins over 50 ms, p = 0.2 * x / 16
             (up to 200 Hz); each spike sits in the middle of its bin;
  * latency: one spike at t = 0.5 ms + 39 ms * (1 - x / 16) for x > 0
             (bright pixels fire first), nothing for x = 0.

Times are float16 seconds, units uint16, labels uint16, as in SHD; the
files also carry `n_channels` = 64 and `n_classes` = 10 root attributes and
`extra/keys` (the class names). Train/test is a stratified 80/20 split
(1 437 / 360 samples, random_state 0).

Also writes tests/fixtures/shd_tiny.h5 (the first 6 rate-coded test samples,
in the bare SHD layout without the count attributes, plus extra/speaker) and
tests/fixtures/shd_tiny.csv listing every spike as stored, for the reader
test.

With `--mnist-size`, writes instead stimuli/spike_digits_28/latency_{train,
test}.h5: the same digits at MNIST's geometry, each 8x8 image resized to
20x20 by bilinear interpolation (scipy.ndimage.zoom, order 1) and centred
in a 28x28 frame, latency-coded on 784 channels with the same code (pixels
below 1/16 of full scale stay silent). Same split, same labels. The
permuted-task protocol (PMNIST) needs this: the 64 channels of the 8x8
images hold little more than one task's activity subspace.

Usage:  python3 -m venv venv && venv/bin/pip install scikit-learn h5py numpy scipy
        venv/bin/python stimuli/make_spike_digits.py [--mnist-size]
"""

import sys

from pathlib import Path

import h5py
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "stimuli" / "spike_digits"
STEPS_RATE = 50
P_MAX = 0.2
LATENCY_SPAN = 0.039


def rate_code(image, rng):
    p = P_MAX * image / 16.0
    fire = rng.random((STEPS_RATE, 64)) < p[None, :]
    steps, units = np.nonzero(fire)
    times = (steps + 0.5) * 1e-3
    order = np.lexsort((units, times))
    return times[order], units[order]


def latency_code(image, floor=0.0):
    units = np.nonzero(image > floor)[0]
    times = 0.5e-3 + LATENCY_SPAN * (1.0 - image[units] / 16.0)
    order = np.lexsort((units, times))
    return times[order], units[order]


def write(path, trains, labels, with_counts=True, speakers=None, channels=64):
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        g = f.create_group("spikes")
        t = g.create_dataset("times", (len(trains),), dtype=h5py.vlen_dtype(np.float16))
        u = g.create_dataset("units", (len(trains),), dtype=h5py.vlen_dtype(np.uint16))
        for i, (times, units) in enumerate(trains):
            t[i] = times.astype(np.float16)
            u[i] = units.astype(np.uint16)
        f.create_dataset("labels", data=np.asarray(labels, dtype=np.uint16))
        extra = f.create_group("extra")
        extra.create_dataset("keys", data=np.array([str(d).encode() for d in range(10)]))
        if speakers is not None:
            extra.create_dataset("speaker", data=np.asarray(speakers, dtype=np.uint16))
        if with_counts:
            f.attrs["n_channels"] = np.uint32(channels)
            f.attrs["n_classes"] = np.uint32(10)


def digits_and_split():
    """The images (0..16), labels, all indices and the stratified 80/20 split."""
    digits = load_digits()
    x = digits.data.astype(np.float64)
    y = digits.target
    idx = np.arange(len(y))
    train_idx, test_idx = train_test_split(idx, test_size=0.2, stratify=y, random_state=0)
    return x, y, idx, train_idx, test_idx


def mnist_geometry(image):
    """8x8 -> 20x20 (bilinear) centred in 28x28, flattened to 784 values."""
    from scipy.ndimage import zoom

    big = np.clip(zoom(image.reshape(8, 8), 2.5, order=1), 0.0, 16.0)
    frame = np.zeros((28, 28))
    frame[4:24, 4:24] = big
    return frame.ravel()


def main_mnist_size():
    x, y, idx, train_idx, test_idx = digits_and_split()
    latency = [latency_code(mnist_geometry(x[i]), floor=1.0) for i in idx]
    out = ROOT / "stimuli" / "spike_digits_28"
    for split, sel in (("train", train_idx), ("test", test_idx)):
        write(out / f"latency_{split}.h5", [latency[i] for i in sel], y[sel], channels=784)


def main():
    if "--mnist-size" in sys.argv[1:]:
        return main_mnist_size()
    x, y, idx, train_idx, test_idx = digits_and_split()
    rng = np.random.default_rng(2024)
    rate = [rate_code(x[i], rng) for i in idx]
    latency = [latency_code(x[i]) for i in idx]
    for name, trains in (("rate", rate), ("latency", latency)):
        for split, sel in (("train", train_idx), ("test", test_idx)):
            write(OUT / f"{name}_{split}.h5", [trains[i] for i in sel], y[sel])
    tiny = [rate[i] for i in test_idx[:6]]
    fixtures = ROOT / "tests" / "fixtures"
    write(fixtures / "shd_tiny.h5", tiny, y[test_idx[:6]], with_counts=False,
          speakers=list(range(6)))
    with open(fixtures / "shd_tiny.csv", "w") as f:
        f.write("# every spike of shd_tiny.h5 as stored (float16 widened exactly); "
                "made by stimuli/make_spike_digits.py\nsample,label,time_s,unit\n")
        for s, (times, units) in enumerate(tiny):
            for t, u in zip(times.astype(np.float16), units):
                f.write(f"{s},{y[test_idx[s]]},{float(t)!r},{u}\n")
            if len(times) == 0:
                f.write(f"{s},{y[test_idx[s]]},,\n")


if __name__ == "__main__":
    main()
