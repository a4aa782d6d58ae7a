"""NIR files written by spikesim are what nir 1.0.8 reads.

Graphs are built here with the `nir` package, written with `nir.write`,
read and written again by spikesim's reader and writer
(`examples/nir_copy.rs`), and read back with `nir.read` (type check on):
every parameter must come back equal, and the HDF5 layout must be nir's
(`version`, float64 gzip parameters, vlen-string edges). A graph built in
Rust (`nir_copy --demo`) checks the writer's own output, including a 0-d
threshold it must broadcast to the layer's shape.

The example binary is built with cargo unless SPIKESIM_NIR_COPY names one.
"""

import os
import pathlib
import subprocess

import h5py
import nir
import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def nir_copy():
    given = os.environ.get("SPIKESIM_NIR_COPY")
    if given:
        return pathlib.Path(given)
    subprocess.run(
        ["cargo", "build", "--release", "--quiet", "--example", "nir_copy"],
        cwd=ROOT,
        check=True,
    )
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "release" / "examples" / "nir_copy"


def arr(*values):
    return np.array(values, dtype=np.float64)


def graphs():
    rng = np.random.default_rng(3)
    yield "neurons", nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([3])),
            "lif1.w": nir.Affine(
                weight=rng.normal(size=(4, 3)).astype(np.float32),
                bias=arr(0.1, 0.2, 0.3, 0.4),
            ),
            "lif1.lif": nir.LIF(
                tau=arr(1e-3, 2e-3, 3e-3, 4e-3),
                r=arr(1.0, 1.5, 2.0, 2.5),
                v_leak=arr(0.0, 0.0, -0.1, 0.1),
                v_threshold=arr(1.0, 1.0, 0.5, 2.0),
                v_reset=arr(0.0, -0.5, 0.0, 0.25),
            ),
            "lif1.w_rec": nir.Linear(weight=rng.normal(size=(4, 4))),
            "scale": nir.Scale(scale=arr(2.0, 0.5, 1.0, -1.0)),
            "delay": nir.Delay(delay=arr(1e-3, 0.0, 2e-4, 5e-4)),
            "cuba": nir.CubaLIF(
                tau_syn=arr(5e-3, 5e-3, 6e-3, 7e-3),
                tau_mem=arr(1e-2, 2e-2, 1e-2, 2e-2),
                r=arr(1.0, 1.0, 2.0, 2.0),
                v_leak=arr(0.0, 0.0, 0.0, 0.0),
                v_threshold=arr(1.0, 1.1, 1.2, 1.3),
                v_reset=arr(0.0, 0.0, 0.1, 0.0),
                w_in=arr(1.0, 2.0, 3.0, 4.0),
            ),
            "threshold": nir.Threshold(threshold=arr(0.5, 0.5, 0.25, 0.75)),
            "if": nir.IF(r=arr(1, 2, 3, 4), v_threshold=arr(1, 1, 1, 1), v_reset=arr(0, 0, 0, 0)),
            "li": nir.LI(tau=arr(2e-3, 2e-3, 3e-3, 3e-3), r=arr(1, 1, 1, 1), v_leak=arr(0, 0.1, 0.2, 0.3)),
            "cubali": nir.CubaLI(
                tau_syn=arr(1e-3, 1e-3, 1e-3, 1e-3),
                tau_mem=arr(2e-3, 2e-3, 2e-3, 2e-3),
                r=arr(1, 1, 1, 1),
                v_leak=arr(0, 0, 0, 0),
                w_in=arr(0.5, 0.5, 0.5, 0.5),
            ),
            "i": nir.I(r=arr(1, 2, 3, 4)),
            "output": nir.Output(output_type=np.array([4])),
        },
        edges=[
            ("input", "lif1.w"), ("lif1.w", "lif1.lif"), ("lif1.lif", "lif1.w_rec"),
            ("lif1.w_rec", "lif1.lif"), ("lif1.lif", "scale"), ("scale", "delay"),
            ("delay", "cuba"), ("cuba", "threshold"), ("threshold", "if"), ("if", "li"),
            ("li", "cubali"), ("cubali", "i"), ("i", "output"),
        ],
        metadata={"source": "test_nir_files.py", "dt": 1e-4},
    )
    yield "conv2d", nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([2, 6, 6])),
            "conv": nir.Conv2d(
                input_shape=(6, 6), weight=rng.normal(size=(3, 2, 3, 3)),
                stride=1, padding=1, dilation=1, groups=1, bias=arr(0.0, 0.1, 0.2),
            ),
            "if1": nir.IF(r=np.ones((3, 6, 6)), v_threshold=np.ones((3, 6, 6)),
                          v_reset=np.zeros((3, 6, 6))),
            "sumpool": nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]),
                                     padding=np.array([0, 0])),
            "avgpool": nir.AvgPool2d(kernel_size=np.array([3, 3]), stride=np.array([1, 1]),
                                     padding=np.array([1, 1])),
            "flatten": nir.Flatten(input_type={"input": np.array([3, 3, 3])}, start_dim=0, end_dim=-1),
            "fc": nir.Affine(weight=rng.normal(size=(2, 27)), bias=arr(0.0, 0.0)),
            "output": nir.Output(output_type=np.array([2])),
        },
        edges=[("input", "conv"), ("conv", "if1"), ("if1", "sumpool"), ("sumpool", "avgpool"),
               ("avgpool", "flatten"), ("flatten", "fc"), ("fc", "output")],
    )
    yield "conv1d_same", nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([2, 9])),
            "conv": nir.Conv1d(input_shape=9, weight=rng.normal(size=(4, 2, 3)), stride=1,
                               padding="same", dilation=1, groups=1, bias=arr(0, 0, 0, 0)),
            "flatten": nir.Flatten(input_type={"input": np.array([4, 9])}, start_dim=0, end_dim=-1),
            "output": nir.Output(output_type=np.array([36])),
        },
        edges=[("input", "conv"), ("conv", "flatten"), ("flatten", "output")],
    )
    inner = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([2])),
            "lif": nir.LIF(tau=arr(1e-3, 1e-3), r=arr(10, 10), v_leak=arr(0, 0),
                           v_threshold=arr(1, 1), v_reset=arr(0, 0)),
            "w_rec": nir.Linear(weight=arr(0.0, -0.5, -0.5, 0.0).reshape(2, 2)),
            "output": nir.Output(output_type=np.array([2])),
        },
        edges=[("input", "lif"), ("lif", "w_rec"), ("w_rec", "lif"), ("lif", "output")],
    )
    yield "nested", nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([3])),
            "fc1": nir.Linear(weight=rng.normal(size=(2, 3))),
            "rlif1": inner,
            "output": nir.Output(output_type=np.array([2])),
        },
        edges=[("input", "fc1"), ("fc1", "rlif1"), ("rlif1", "output")],
    )


def assert_same(a, b, where=""):
    """Same node types, parameters (values, shapes), edges, recursively."""
    assert type(a) is type(b), where
    if isinstance(a, nir.NIRGraph):
        assert sorted(a.nodes) == sorted(b.nodes), where
        assert sorted(map(tuple, a.edges)) == sorted(map(tuple, b.edges)), where
        for name in a.nodes:
            assert_same(a.nodes[name], b.nodes[name], f"{where}/{name}")
        return
    da, db = a.to_dict(), b.to_dict()
    da.pop("metadata", None)
    db.pop("metadata", None)
    assert sorted(da) == sorted(db), where
    for key, va in da.items():
        vb = db[key]
        if isinstance(va, str) or isinstance(vb, str):
            assert va == vb, f"{where}.{key}"
        else:
            va, vb = np.asarray(va), np.asarray(vb)
            # Conv1d's ints may come back as 1-element arrays and back.
            assert np.array_equal(va.ravel(), vb.ravel()), f"{where}.{key}: {va} != {vb}"
            if va.ndim > 0 and vb.ndim > 0 and key not in ("stride", "padding", "dilation"):
                assert va.shape == vb.shape, f"{where}.{key}"


@pytest.mark.parametrize("name,graph", list(graphs()), ids=[n for n, _ in graphs()])
def test_spikesim_rewrites_what_nir_reads(tmp_path, nir_copy, name, graph):
    original = tmp_path / f"{name}.nir"
    copy = tmp_path / f"{name}_spikesim.nir"
    nir.write(original, graph)
    subprocess.run([nir_copy, original, copy], check=True, capture_output=True)
    back = nir.read(copy, type_check=True)
    assert_same(nir.read(original), back)
    with h5py.File(copy, "r") as f:
        assert f["version"][()] == b"1.0.8"
        assert f["node/type"][()] == b"NIRGraph"
        assert f["node/edges"].dtype.kind == "O"
        for node in f["node/nodes"].values():
            for key, ds in node.items():
                if isinstance(ds, h5py.Dataset) and ds.dtype.kind == "f" and ds.ndim > 0:
                    assert ds.dtype == np.float64, key
                    assert ds.compression == "gzip", key


def test_graph_built_in_rust_reads_in_nir(tmp_path, nir_copy):
    out = tmp_path / "demo.nir"
    subprocess.run([nir_copy, "--demo", out], check=True, capture_output=True)
    g = nir.read(out, type_check=True)
    assert sorted(g.nodes) == ["fc", "input", "lif", "output"]
    np.testing.assert_array_equal(g.nodes["fc"].weight, [[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(g.nodes["fc"].bias, [0.5, -0.5])
    lif = g.nodes["lif"]
    np.testing.assert_array_equal(lif.tau, [0.01, 0.02])
    # The 0-d threshold written with the layer's shape, as nir requires.
    np.testing.assert_array_equal(lif.v_threshold, [1.0, 1.0])
    np.testing.assert_array_equal(lif.input_type["input"], [2])
    assert g.metadata["spikesim.discretisation"] == "exact"
    assert g.metadata["spikesim.dt"] == 1e-4


def test_bad_file_is_a_clear_error(tmp_path, nir_copy):
    bad = tmp_path / "bad.nir"
    bad.write_text("not hdf5")
    result = subprocess.run([nir_copy, bad, tmp_path / "out.nir"], capture_output=True, text=True)
    assert result.returncode == 1
    assert "not an HDF5 file" in result.stderr
    assert str(bad) in result.stderr
    assert not (tmp_path / "out.nir").exists()
