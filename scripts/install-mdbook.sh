#!/usr/bin/env bash
# Installs mdBook, which builds the manual (docs/, `mdbook build docs`), at the
# pinned version into ~/.cargo/bin with `cargo install`; does nothing when that
# version is already on the PATH. No default features: the book is built,
# never served or watched, and its search index is not needed by the tests
# (a build of about 2 minutes on 2 cores, 0.4 GB of memory).
set -euo pipefail
version=0.5.4
export PATH="$HOME/.cargo/bin:$PATH"
if command -v mdbook >/dev/null && [ "$(mdbook --version)" = "mdbook v$version" ]; then
    exit 0
fi
cargo install mdbook --locked --version "$version" --no-default-features
