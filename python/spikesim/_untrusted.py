"""The child side of spikesim's guarded reads: the package starts its own
interpreter as ``python -m spikesim._untrusted __read-untrusted KIND FILE``
to read an HDF5 file it has not checked yet, so that a damaged file that
crashes libhdf5 ends this child and not the user's interpreter. The answer
goes to standard output for the parent to check."""

import sys

from spikesim import _native

if __name__ == "__main__":
    sys.exit(_native.serve_untrusted(sys.argv[1:]))
