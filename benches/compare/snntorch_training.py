"""Training throughput side by side: spikesim and snnTorch (CPU), same network.

    OMP_WAIT_POLICY=passive /work/venvs/snntorch/bin/python \
        benches/compare/snntorch_training.py --repeats 3 --threads 1,2 \
        --json benches/compare/last_training_comparison.json

(`OMP_WAIT_POLICY=passive`: on a loaded 2-core machine torch's OpenMP threads
otherwise spin waiting for each other at every small operation, and a
2-thread snnTorch epoch took minutes instead of seconds.)

Both sides train the network of `models/train_spike_digits.toml` (64 inputs
-> 128 LIF -> 10 non-spiking read-out membranes) on spike-digits with the
same batch size, optimiser, learning rate and number of epochs, and both
evaluate the test set after every epoch. Runs are interleaved (spikesim,
snnTorch, spikesim, ...) for each thread count, so that the load of other
processes on the machine falls on both alike; the table gives medians.

What is the same (read from `src/learn/layers/lif.rs`, `net.rs`, `train/trainer.rs`):

* data: the SHD-layout HDF5 read with h5py, float16 times widened to
  float64 before dividing, binned as `io::dataset::bin_sample` does
  (`floor(t / dt + 1e-9)`, spikes of one channel in one bin summed), as many
  steps as the latest spike of either file needs;
* neurons: `U_t = beta V_{t-1} + a_t`, `S_t = H(U_t - theta)` (strict `>`),
  hard reset to 0 detached from the graph, `beta = exp(-dt / tau)`; the
  read-out is the same leaky membrane with no spike and no reset. That is
  `snn.Leaky(reset_mechanism="zero")` (snnTorch computes the reset from the
  previous membrane, detached, which is the same thing) and
  `snn.Leaky(reset_mechanism="none")`;
* timing: every projection delays by one step (`a_t = W x_{t-1}`), and a
  sample runs `input steps + 2` steps so that the last input reaches the
  read-out;
* surrogate: fast sigmoid `1 / (1 + k|x|)^2` with the experiment's `k`;
* loss: cross-entropy of the time-averaged read-out membrane, averaged over
  the batch; Adam (0.9, 0.999, 1e-8); dense projections without bias,
  weights uniform in `±gain sqrt(3 / n_in)`; thresholds learned.

What differs: snnTorch learns `beta` where spikesim learns `tau` (same
neuron, another parameterisation, so another Adam trajectory), the random
initial weights and the shuffling come from different generators, and
snnTorch runs in float32 with batched dense matrix products while spikesim
runs one sample per rayon task with event-driven (sparse) input sums.

Timers: spikesim reports seconds per epoch (training pass + test evaluation)
in `metrics.csv`; the snnTorch side times the same span with
`time.perf_counter`, and its training pass alone. Samples/s = training
samples / epoch seconds (the test evaluation included on both sides).
"""

import argparse
import csv
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import h5py
import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def load_experiment(path):
    """The experiment's settings this comparison supports (one hidden LIF layer,
    membrane read-out, BPTT, fast sigmoid, Adam), in steps."""
    exp = tomllib.loads(path.read_text())
    tr = exp["training"]
    layers = exp["layer"]
    if len(layers) != 1 or layers[0].get("neuron", "lif") != "lif" or layers[0].get("recurrent"):
        sys.exit(f"{path}: the comparison supports one non-recurrent LIF hidden layer")
    if exp["readout"].get("kind", "membrane") != "membrane":
        sys.exit(f"{path}: the comparison supports the membrane read-out")
    if tr.get("optimizer", "adam") != "adam" or tr.get("surrogate", "fast_sigmoid") != "fast_sigmoid":
        sys.exit(f"{path}: the comparison supports Adam and the fast-sigmoid surrogate")
    if tr.get("rule", "bptt") != "bptt" or exp["data"].get("channel_group", 1) != 1:
        sys.exit(f"{path}: the comparison supports BPTT without channel grouping")
    dt = ms(exp["data"]["dt"])
    return {
        "train": (path.parent / exp["data"]["train"]).resolve(),
        "test": (path.parent / exp["data"]["test"]).resolve(),
        "dt": dt,
        "hidden": layers[0]["size"],
        "tau_hidden": ms(layers[0]["tau_m"]) / dt,
        "threshold": float(layers[0].get("threshold", 1.0)),
        "tau_readout": ms(exp["readout"]["tau_m"]) / dt,
        "epochs": tr.get("epochs", 20),
        "batch": tr.get("batch_size", 32),
        "lr": tr.get("lr", 2e-3),
        "slope": tr.get("surrogate_scale", 25),
        "gain": tr.get("init_gain", 1.0),
        "learn_tau": tr.get("learn_tau", True),
        "learn_threshold": tr.get("learn_threshold", True),
        "seed": tr.get("seed", 1),
        "text": path.read_text(),
    }


def ms(text):
    value, unit = text.split()
    assert unit == "ms", f"expected a time in ms, got {text!r}"
    return float(value) * 1e-3


def read_shd(path):
    """(times in s as float64, units, labels) per sample, from the SHD layout."""
    with h5py.File(path, "r") as f:
        times = [np.asarray(t, dtype=np.float16).astype(np.float64) for t in f["spikes/times"]]
        units = [np.asarray(u, dtype=np.int64) for u in f["spikes/units"]]
        labels = np.asarray(f["labels"], dtype=np.int64)
    return times, units, labels


def bin_dataset(times, units, dt, steps, channels):
    """Dense `[sample, step, channel]` spike counts, as `bin_sample` bins them."""
    x = np.zeros((len(times), steps, channels), dtype=np.float32)
    for i, (t, u) in enumerate(zip(times, units)):
        k = np.floor(t / dt + 1e-9).astype(np.int64)
        keep = k < steps
        np.add.at(x[i], (k[keep], u[keep]), 1.0)
    return x


def prepare(exp):
    train, test = read_shd(exp["train"]), read_shd(exp["test"])
    # The latest spike as spikesim measures it: float16 widened to float32.
    latest = max(float(np.float32(t.max())) for t in train[0] + test[0] if len(t))
    steps = max(1, math.ceil((latest + exp["dt"] * 1e-6) / exp["dt"]))
    channels = 1 + max(int(u.max()) for u in train[1] + test[1] if len(u))
    return (
        bin_dataset(train[0], train[1], exp["dt"], steps, channels),
        train[2],
        bin_dataset(test[0], test[1], exp["dt"], steps, channels),
        test[2],
        steps,
    )


# ---------------------------------------------------------------- snnTorch side


def snntorch_run(exp, data, epochs, threads, seed):
    import snntorch as snn
    import torch
    from snntorch import surrogate

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    x_train, y_train, x_test, y_test, _ = data
    n_in, n_hidden, n_out = x_train.shape[2], exp["hidden"], int(y_train.max()) + 1

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = torch.nn.Linear(n_in, n_hidden, bias=False)
            self.fc2 = torch.nn.Linear(n_hidden, n_out, bias=False)
            for fc in (self.fc1, self.fc2):
                bound = exp["gain"] * math.sqrt(3.0 / fc.in_features)
                torch.nn.init.uniform_(fc.weight, -bound, bound)
            self.lif1 = snn.Leaky(
                beta=math.exp(-1.0 / exp["tau_hidden"]),
                threshold=exp["threshold"],
                spike_grad=surrogate.fast_sigmoid(slope=exp["slope"]),
                reset_mechanism="zero",
                learn_beta=exp["learn_tau"],
                learn_threshold=exp["learn_threshold"],
            )
            self.out = snn.Leaky(
                beta=math.exp(-1.0 / exp["tau_readout"]),
                reset_mechanism="none",
                learn_beta=exp["learn_tau"],
            )

        def forward(self, x):
            """`x`: `[step, batch, channel]`; returns the time-averaged read-out."""
            batch = x.shape[1]
            steps = x.shape[0] + 2
            mem1 = torch.zeros(batch, n_hidden)
            mem2 = torch.zeros(batch, n_out)
            spk_prev = torch.zeros(batch, n_hidden)
            total = torch.zeros(batch, n_out)
            for t in range(steps):
                # One-step delays: the hidden layer sees x_{t-1}, the read-out s_{t-1}.
                cur1 = self.fc1(x[t - 1]) if 1 <= t <= x.shape[0] else torch.zeros(batch, n_hidden)
                spk1, mem1 = self.lif1(cur1, mem1)
                _, mem2 = self.out(self.fc2(spk_prev), mem2)
                spk_prev = spk1
                total = total + mem2
            return total / steps

    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=exp["lr"], betas=(0.9, 0.999), eps=1e-8)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt = torch.from_numpy(x_train).transpose(0, 1).contiguous()  # [step, sample, channel]
    yt = torch.from_numpy(y_train)
    xs = torch.from_numpy(x_test).transpose(0, 1).contiguous()
    ys = torch.from_numpy(y_test)
    gen = torch.Generator().manual_seed(seed)
    epochs_out = []
    for _ in range(epochs):
        start = time.perf_counter()
        order = torch.randperm(len(yt), generator=gen)
        for b in range(0, len(order), exp["batch"]):
            idx = order[b : b + exp["batch"]]
            opt.zero_grad()
            loss = loss_fn(net(xt[:, idx]), yt[idx])
            loss.backward()
            opt.step()
            with torch.no_grad():
                net.lif1.threshold.clamp_(min=1e-3)
        trained = time.perf_counter()
        with torch.no_grad():
            accuracy = (net(xs).argmax(1) == ys).float().mean().item()
        done = time.perf_counter()
        epochs_out.append(
            {"train_seconds": trained - start, "seconds": done - start, "test_accuracy": accuracy}
        )
    return epochs_out


# ---------------------------------------------------------------- spikesim side


def spikesim_run(exp, binary, epochs, threads, workdir):
    """Runs `spikesim train` on a copy of the experiment (absolute data paths,
    output in `workdir`); returns per-epoch seconds and accuracy, and the
    process wall time."""
    text = exp["text"]
    text = text.replace(f'"{_field(text, "train")}"', f'"{exp["train"]}"', 1)
    text = text.replace(f'"{_field(text, "test")}"', f'"{exp["test"]}"', 1)
    text = text.replace(f'"{_field(text, "dir")}"', f'"{workdir}"', 1)
    path = Path(workdir) / "experiment.toml"
    Path(workdir).mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    start = time.perf_counter()
    proc = subprocess.run(
        [str(binary), "train", str(path), "--epochs", str(epochs), "--threads", str(threads)],
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"spikesim train failed:\n{proc.stderr}")
    with open(Path(workdir) / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    return [
        {"seconds": float(r["seconds"]), "test_accuracy": float(r["test_accuracy"])} for r in rows
    ], wall, proc.stdout + proc.stderr


def _field(text, key):
    for line in text.splitlines():
        if line.split("=")[0].strip() == key:
            return line.split('"')[1]
    raise KeyError(key)


# ---------------------------------------------------------------- table


def summarise(runs, n_train):
    per_epoch = [statistics.median(e["seconds"] for e in r["epochs"]) for r in runs]
    sec = statistics.median(per_epoch)
    return {
        "epoch_seconds": sec,
        "samples_per_second": n_train / sec,
        "test_accuracy": statistics.median(r["epochs"][-1]["test_accuracy"] for r in runs),
        "test_accuracy_range": [
            min(r["epochs"][-1]["test_accuracy"] for r in runs),
            max(r["epochs"][-1]["test_accuracy"] for r in runs),
        ],
        "run_wall": statistics.median(r["wall"] for r in runs),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--experiment", type=Path, default=ROOT / "models/train_spike_digits.toml")
    p.add_argument("--spikesim", type=Path, default=ROOT / "target/release/spikesim")
    p.add_argument("--epochs", type=int, help="default: the experiment's")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    p.add_argument("--json", type=Path, help="write every run here")
    p.add_argument(
        "--snntorch-batch",
        type=int,
        help="diagnostic, not a comparison: another batch size for snnTorch only "
        "(the whole training set as one batch shows its per-operation overhead)",
    )
    args = p.parse_args()

    import snntorch
    import torch

    exp = load_experiment(args.experiment)
    epochs = args.epochs or exp["epochs"]
    data = prepare(exp)
    n_train = len(data[1])
    print(
        f"spike-digits: {n_train} train / {len(data[3])} test samples, "
        f"{data[0].shape[2]} channels, {data[4]} input steps; "
        f"64 -> {exp['hidden']} LIF -> 10, batch {exp['batch']}, {epochs} epochs",
        flush=True,
    )
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for threads in [int(t) for t in args.threads.split(",")]:
            for rep in range(args.repeats):
                load = os.getloadavg()[0]
                epochs_s, wall, log = spikesim_run(
                    exp, args.spikesim, epochs, threads, Path(tmp) / f"s{threads}_{rep}"
                )
                if f"{data[4]} steps" not in log:
                    sys.exit(f"spikesim binned to another step count than {data[4]}:\n{log}")
                results.setdefault(("spikesim", threads), []).append(
                    {"epochs": epochs_s, "wall": wall, "load": load}
                )
                load = os.getloadavg()[0]
                start = time.perf_counter()
                exp_t = dict(exp, batch=args.snntorch_batch or exp["batch"])
                epochs_t = snntorch_run(exp_t, data, epochs, threads, exp["seed"] + rep)
                wall = time.perf_counter() - start
                results.setdefault(("snntorch", threads), []).append(
                    {"epochs": epochs_t, "wall": wall, "load": load}
                )
                print(
                    f"threads {threads} repeat {rep + 1}: spikesim "
                    f"{statistics.median(e['seconds'] for e in epochs_s):.3f} s/epoch "
                    f"{epochs_s[-1]['test_accuracy']:.3f}; snnTorch "
                    f"{statistics.median(e['seconds'] for e in epochs_t):.3f} s/epoch "
                    f"{epochs_t[-1]['test_accuracy']:.3f} (load {load:.1f})",
                    flush=True,
                )

    loads = [r["load"] for runs in results.values() for r in runs]
    print(
        f"\n{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load average during the runs {min(loads):.1f}-{max(loads):.1f}; "
        f"torch {torch.__version__}, snnTorch {snntorch.__version__}, Python {platform.python_version()}\n"
    )
    if args.snntorch_batch:
        print(f"NOT the same batch size: snnTorch ran batches of {args.snntorch_batch}\n")
    print("| threads | simulator | training samples/s | s per epoch (train + test) | final test accuracy | whole run | ratio |")
    print("|---|---|---|---|---|---|---|")
    for threads in sorted({t for _, t in results}):
        s = summarise(results[("spikesim", threads)], n_train)
        t = summarise(results[("snntorch", threads)], n_train)
        for name, r in (("spikesim", s), ("snnTorch", t)):
            lo, hi = r["test_accuracy_range"]
            ratio = t["epoch_seconds"] / s["epoch_seconds"] if name == "spikesim" else 1.0
            print(
                f"| {threads} | {name} | {r['samples_per_second']:,.0f} | {r['epoch_seconds']:.3f} | "
                f"{100 * r['test_accuracy']:.1f} % ({100 * lo:.1f}-{100 * hi:.1f}) | "
                f"{r['run_wall']:.1f} s | {ratio:.1f}x |"
            )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "epochs": epochs,
                    "torch": torch.__version__,
                    "snntorch": snntorch.__version__,
                    "runs": {f"{k[0]}_{k[1]}": v for k, v in results.items()},
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
