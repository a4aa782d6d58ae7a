#!/usr/bin/env python3
"""Tests of scripts/module_cycles.py on small crates written for each case,
whose cycles are known by construction.

    python3 scripts/test_module_cycles.py
"""

import contextlib
import io
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import module_cycles  # noqa: E402


class Crate:
    """A crate on disk: {path under src/: text}."""

    def __init__(self, files):
        self.dir = tempfile.TemporaryDirectory()
        for path, text in files.items():
            full = os.path.join(self.dir.name, "src", path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w", encoding="utf-8") as f:
                f.write(text)

    def run(self, *args):
        """Exit status and output of the script on folders under src/."""
        module_cycles.TEST_MODULES.clear()
        argv = [a if a.startswith("-") else os.path.join(self.dir.name, a) for a in args]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = module_cycles.main(argv)
        return status, out.getvalue()


LIB = "pub mod x;\n"


class Cycles(unittest.TestCase):
    def crate(self, files):
        crate = Crate(files)
        self.addCleanup(crate.dir.cleanup)
        return crate

    def test_a_two_module_cycle_is_found_with_its_lines(self):
        crate = self.crate(
            {
                "lib.rs": LIB,
                "x/mod.rs": "pub mod a;\npub mod b;\n",
                "x/a.rs": "use super::b::B;\npub struct A;\n",
                "x/b.rs": "pub struct B;\n\nfn f() -> crate::x::a::A { todo!() }\n",
            }
        )
        status, out = crate.run("src/x")
        self.assertEqual(status, 1)
        self.assertIn("a -> b -> a", out)
        self.assertIn(os.path.join("x", "a.rs") + ":1", out)
        self.assertIn(os.path.join("x", "b.rs") + ":3", out)

    def test_one_way_imports_and_parent_child_imports_are_no_cycle(self):
        crate = self.crate(
            {
                "lib.rs": LIB,
                "x/mod.rs": "pub mod a;\npub mod b;\nuse a::A;\n",
                "x/a.rs": "use super::b::B;\npub struct A;\n",
                "x/b.rs": "use crate::x;\npub struct B;\n",
            }
        )
        status, out = crate.run("src/x")
        self.assertEqual(status, 0, out)
        self.assertIn("no cycles among its 2 modules", out)

    def test_comments_strings_and_a_files_own_tests_make_no_arrow(self):
        crate = self.crate(
            {
                "lib.rs": LIB,
                "x/mod.rs": "pub mod a;\npub mod b;\n",
                "x/a.rs": "use super::b::B;\npub fn a() {}\n",
                "x/b.rs": (
                    "//! See [`super::a`].\n/* crate::x::a::a() */\n"
                    'pub struct B;\nconst S: &str = "super::a::a";\n'
                    "#[cfg(test)]\nmod tests {\n    use super::*;\n}\n"
                ),
            }
        )
        status, out = crate.run("src/x")
        self.assertEqual(status, 0, out)

    def test_nested_use_trees_and_re_exports_resolve_to_the_child(self):
        crate = self.crate(
            {
                "lib.rs": LIB,
                "x/mod.rs": "pub mod a;\npub mod b;\npub mod c;\npub use c::C;\n",
                "x/a.rs": "use crate::x::{b::{self, B as Bee}, C};\npub struct A;\n",
                "x/b.rs": "pub struct B;\n",
                "x/c.rs": "pub struct C;\nfn f() -> super::a::A { todo!() }\n",
            }
        )
        status, out = crate.run("src/x")
        self.assertEqual(status, 1)
        self.assertIn("a -> c -> a", out)
        self.assertNotIn("b ->", out)

    def test_a_subfolder_stands_for_everything_under_it(self):
        crate = self.crate(
            {
                "lib.rs": LIB,
                "x/mod.rs": "pub mod a;\npub mod d;\n",
                "x/a.rs": "use super::d::e::E;\npub struct A;\n",
                "x/d/mod.rs": "pub mod e;\n",
                "x/d/e.rs": "pub struct E;\nfn f() -> crate::x::a::A { todo!() }\n",
            }
        )
        status, out = crate.run("src/x")
        self.assertEqual(status, 1)
        self.assertIn("a -> d -> a", out)
        status, out = crate.run("-r", "src/x")
        self.assertIn("no cycles among its 1 modules", out)  # x/d has only e

    def test_skip_tests_leaves_out_test_only_modules(self):
        crate = self.crate(
            {
                "lib.rs": LIB,
                "x/mod.rs": "pub mod a;\npub mod b;\n",
                "x/a.rs": "use super::b::B;\npub struct A;\n",
                "x/b.rs": "pub struct B;\n#[cfg(test)]\nmod tests;\n",
                "x/b/tests.rs": "use crate::x::a::A;\n",
            }
        )
        self.assertEqual(crate.run("src/x")[0], 1)
        self.assertEqual(crate.run("--skip-tests", "src/x")[0], 0)

    def test_a_folder_outside_src_is_refused(self):
        crate = self.crate({"lib.rs": LIB})
        with contextlib.redirect_stderr(io.StringIO()):
            self.assertEqual(crate.run("elsewhere")[0], 2)


if __name__ == "__main__":
    unittest.main()
