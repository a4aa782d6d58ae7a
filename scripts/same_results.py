#!/usr/bin/env python3
"""Run the shipped models with two spikesim binaries and compare the results
files dataset by dataset, byte for byte (a reshaping of the code must not
change a result). Timings and the run id are the only attributes allowed to
differ.

    scripts/same_results.py OLD_BINARY NEW_BINARY [--python .venv/bin/python]

Long models are shortened with --set (same settings for both binaries).
Needs h5py (the notebooks' venv has it). Exit 1 on any difference.
"""
import subprocess
import sys
import tempfile
from pathlib import Path

# model, extra arguments (the same for both binaries)
RUNS = [
    ("models/cuba.toml", []),
    ("models/cuba.toml", ["--set", 'simulation.engine="event"', "--threads", "2"]),
    ("models/single_lif.toml", []),
    ("models/sparse_input.toml", []),
    ("models/pattern_driven.toml", []),
    ("models/astrocyte_network.toml", ["--set", 'simulation.duration="2 s"']),
    ("models/fixed_point_demo.toml", []),
    ("models/stdp_song2000.toml", ["--set", 'simulation.duration="20 s"']),
    ("models/microcircuit.toml", ["--set", "scale.neurons=0.05", "--set", "scale.indegree=0.05",
                                  "--set", 'simulation.duration="200 ms"', "--threads", "2"]),
]
VOLATILE = {"wall_time", "build_time", "run_time", "run_id", "simulate_time", "timings",
            "created", "write_time"}


def run(binary, model, extra, out):
    cmd = [binary, "run", model, "--out", str(out), "--no-plots", *extra]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{r.stderr}")


def differences(a, b):
    import h5py
    import numpy as np
    found = []
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        names_a, names_b = [], []
        fa.visit(names_a.append)
        fb.visit(names_b.append)
        if names_a != names_b:
            found.append(f"different objects: {sorted(set(names_a) ^ set(names_b))}")
        for name in ["/"] + names_a:
            if name not in fb:
                continue
            oa, ob = fa[name], fb[name]
            for k in set(oa.attrs) | set(ob.attrs):
                if k in VOLATILE or any(v in k for v in ("time", "seconds")):
                    continue
                va, vb = oa.attrs.get(k), ob.attrs.get(k)
                if not np.array_equal(np.asarray(va), np.asarray(vb)):
                    found.append(f"{name} attribute {k}: {va!r:.100} != {vb!r:.100}")
            if isinstance(oa, h5py.Dataset):
                da, db = oa[()], ob[()]
                if da.dtype != db.dtype or da.shape != db.shape or \
                        np.asarray(da).tobytes() != np.asarray(db).tobytes():
                    found.append(f"{name}: data differ ({da.dtype}{da.shape} vs {db.dtype}{db.shape})")
    return found


def main():
    old, new = sys.argv[1], sys.argv[2]
    bad = 0
    with tempfile.TemporaryDirectory() as d:
        for i, (model, extra) in enumerate(RUNS):
            a, b = Path(d) / f"{i}_old.h5", Path(d) / f"{i}_new.h5"
            run(old, model, extra, a)
            run(new, model, extra, b)
            diff = differences(a, b)
            status = "same" if not diff else "DIFFERENT"
            print(f"{status:9} {model} {' '.join(extra)}")
            for line in diff[:10]:
                print("    " + line)
            bad += bool(diff)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
