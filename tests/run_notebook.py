"""Execute a notebook top to bottom with nbclient; used by tests/notebook.rs.

    python tests/run_notebook.py notebooks/quickstart.ipynb

The kernel is always ipykernel in the interpreter running this script (run it
with the project's venv python), whatever kernel the notebook names and
whatever kernel specs are installed elsewhere: a `python3` spec in
~/.local/share/jupyter or on JUPYTER_PATH would otherwise take precedence over
the venv's own. The notebook runs from its own folder, as in Jupyter, and is
not written back. Prints `executed <name>: <executed>/<total> code cells` and
exits 0 when every cell ran; on a failing cell prints its traceback and exits 1.
"""

import argparse
import re
import sys
from pathlib import Path

import nbformat
from ipykernel.kernelspec import RESOURCES, get_kernel_dict
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from traitlets import default

KERNEL_NAME = "python3"
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class ThisPythonKernelSpecs(KernelSpecManager):
    """Resolves every kernel name to ipykernel run by `sys.executable`."""

    def get_kernel_spec(self, kernel_name):
        return KernelSpec(resource_dir=RESOURCES, **get_kernel_dict())


class ThisPythonKernelManager(AsyncKernelManager):
    @default("kernel_spec_manager")
    def _default_kernel_spec_manager(self):
        return ThisPythonKernelSpecs()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args()

    path = args.notebook.resolve()
    nb = nbformat.read(path, as_version=4)
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    print(f"kernel: {' '.join(get_kernel_dict()['argv'][:3])}", flush=True)

    client = NotebookClient(
        nb,
        timeout=args.timeout,
        kernel_name=KERNEL_NAME,
        kernel_manager_class=ThisPythonKernelManager,
        resources={"metadata": {"path": str(path.parent)}},
    )
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as err:
        # IPython colours its tracebacks; the escapes only clutter a test log.
        print(f"{path.name} failed:\n{ANSI_ESCAPE.sub('', str(err))}", file=sys.stderr)
        return 1

    executed = sum(1 for c in code_cells if c.get("execution_count") is not None)
    print(f"executed {path.name}: {executed}/{len(code_cells)} code cells")
    return 0 if executed == len(code_cells) else 1


if __name__ == "__main__":
    sys.exit(main())
