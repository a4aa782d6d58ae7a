#!/usr/bin/env bash
# Install the Debian packages spikesim needs to build and test, if missing:
# the HDF5 C library and headers (for the hdf5-metno crate), pkg-config, a C
# compiler and libc headers (the mimalloc crate builds its allocator from C
# source), and Python's venv module (for the notebook tests).
set -euo pipefail

needed=(libhdf5-dev pkg-config gcc libc6-dev python3-venv)
missing=()
for pkg in "${needed[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# pyenv's Python has venv built in; Debian's python3-venv is needed only for /usr/bin/python3.
if python3 -c 'import venv, ensurepip' 2>/dev/null; then
    missing=("${missing[@]/python3-venv/}")
fi
missing=(${missing[@]+"${missing[@]}"})
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
