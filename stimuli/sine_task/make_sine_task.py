"""Writes the sine task: raw real-valued time series for the encoding-free
input of L2MU networks (`models/train_l2mu_real.toml`).

Each sample is 20 steps of one channel, x_t = sin(2 pi f t + phase) + noise,
phase uniform in [0, 2 pi), noise normal with sigma 0.3; the class is the
frequency f in {1/12, 1/7, 1/4} cycles per step. The values go into the
network as they are, as currents, with no spike encoding.

    python3 stimuli/sine_task/make_sine_task.py

writes train.csv (300 samples) and test.csv (150) beside this script, as
`spikesim train` reads real values: a `label` column and one column per
value, step-major (`x<t>` for the single channel).
"""

import math
import os
import random

STEPS = 20
FREQS = [1 / 12, 1 / 7, 1 / 4]
SIGMA = 0.3


def write(path, n, rng):
    with open(path, "w") as f:
        f.write("label," + ",".join(f"x{t}" for t in range(STEPS)) + "\n")
        for i in range(n):
            label = i % len(FREQS)
            phase = rng.uniform(0.0, 2.0 * math.pi)
            xs = [
                math.sin(2.0 * math.pi * FREQS[label] * t + phase) + rng.gauss(0.0, SIGMA)
                for t in range(STEPS)
            ]
            f.write(f"{label}," + ",".join(f"{x:.4f}" for x in xs) + "\n")


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    write(os.path.join(here, "train.csv"), 300, random.Random(1))
    write(os.path.join(here, "test.csv"), 150, random.Random(2))
