#!/usr/bin/env python3
"""Check the import rules of docs/src/architecture.md ("Rules the code keeps").

    scripts/check_layers.py [SRC]      (default: src); exit 1 on a violation
    scripts/check_layers.py --self-test

1. neuron/, synapse/ and plasticity/ use, of engine/, only its leaf modules
   rng, persist, finite, prefetch and fixed::arith.
2. engine/, model/, neuron/, synapse/ and plasticity/ never use learn/ or cli/.
3. Outside neuron/, a neuron model's variant is named only where listed in
   NAMED_VARIANTS, with the reason (everything else goes through the
   NeuronModel trait).
"""
import re
import sys
import tempfile
from pathlib import Path

LEAVES = {"rng", "persist", "finite", "prefetch"}
BELOW_ENGINE = ("neuron", "synapse", "plasticity")
BELOW_LEARN = ("engine", "model", "neuron", "synapse", "plasticity")
# NIR import and export sit beside learn, over model and io: nothing below uses them.
BELOW_NIR = ("engine", "model", "neuron", "synapse", "plasticity", "io", "plot")
# file (relative to SRC) -> why it may name model variants
NAMED_VARIANTS = {
    "model/validate/glial.rs": "tripartite and slow-inward-current synapses are the astrocyte's and the Levy-Baxter neuron's own synapse kinds",
    "model/validate/stimulus.rs": "a Poisson stimulus is built as a poisson population",
    "nir/export/neurons.rs": "the NIR export maps each model it can express onto a NIR node type; NIR's vocabulary, not the model's, lives there",
    "nir/export/inputs.rs": "a NIR Input is a spike_source's spike list",
}
VARIANT = re.compile(r"NeuronKind::([A-Z]\w*)")


def code_lines(path):
    """Lines outside comments, with their numbers."""
    for n, line in enumerate(path.read_text().split("\n"), 1):
        stripped = line.strip()
        if stripped.startswith("//"):
            continue
        yield n, line.split("//")[0]


def violations(src):
    src = Path(src)
    found = []
    for path in sorted(src.rglob("*.rs")):
        rel = path.relative_to(src).as_posix()
        top = rel.split("/")[0].removesuffix(".rs")
        for n, line in code_lines(path):
            where = f"{rel}:{n}"
            if top in BELOW_ENGINE:
                for m in re.finditer(r"crate::engine::(\w+)(::(\w+))?", line):
                    leaf, sub = m.group(1), m.group(3)
                    if leaf not in LEAVES and not (leaf == "fixed" and sub == "arith"):
                        found.append(f"{where}: {top} uses engine::{leaf}{'::' + sub if sub else ''}")
            if top in BELOW_LEARN:
                for m in re.finditer(r"crate::(learn|cli)\b", line):
                    found.append(f"{where}: {top} uses {m.group(1)}")
            if top in BELOW_NIR:
                for m in re.finditer(r"crate::nir\b", line):
                    found.append(f"{where}: {top} uses nir")
            if top != "neuron" and rel not in NAMED_VARIANTS:
                for m in VARIANT.finditer(line):
                    found.append(f"{where}: names the model variant NeuronKind::{m.group(1)}")
    return found


def self_test():
    """Each rule fires on a tree that breaks it, and not on one that keeps it."""
    cases = {
        "neuron/a.rs": ("use crate::engine::network::Slice;", True),
        "neuron/b.rs": ("use crate::engine::fixed::arith::x;", False),
        "synapse/c.rs": ("use crate::engine::rng::{self};", False),
        "model/d.rs": ("use crate::learn::train;", True),
        "engine/e.rs": ("let k = NeuronKind::Lif(m);", True),
        "neuron/f.rs": ("NeuronKind::Lif(m) => 1,", False),
        "plot/g.rs": ("use crate::learn::continual;", False),
        "engine/h.rs": ("// NeuronKind::Lif in a comment", False),
        "io/i.rs": ("use crate::nir::Graph;", True),
        "cli/j.rs": ("use crate::nir::import;", False),
    }
    ok = True
    for rel, (line, bad) in cases.items():
        with tempfile.TemporaryDirectory() as d:
            f = Path(d) / rel
            f.parent.mkdir(parents=True)
            f.write_text(line + "\n")
            got = bool(violations(d))
            if got != bad:
                print(f"self-test: {rel} {line!r}: expected {'a' if bad else 'no'} violation")
                ok = False
    print("self-test passed" if ok else "self-test FAILED")
    return ok


def main():
    if sys.argv[1:] == ["--self-test"]:
        sys.exit(0 if self_test() else 1)
    src = sys.argv[1] if len(sys.argv) > 1 else "src"
    found = violations(src)
    for v in found:
        print(v)
    if found:
        print(f"{len(found)} violation(s) of docs/src/architecture.md's rules")
        sys.exit(1)


if __name__ == "__main__":
    main()
