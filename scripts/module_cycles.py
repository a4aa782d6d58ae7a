#!/usr/bin/env python3
"""Print the import cycles among the modules of each folder given.

    scripts/module_cycles.py src/learn src/model src/engine

For a folder (say src/learn, the module `learn`) the nodes are its direct
children (`learn::net`, `learn::continual`, ...; a child that is a folder
stands for everything under it). "A uses B" when a file in A's subtree
names a path into B's subtree: `use crate::...`, `use super::...`,
`use self::...`, the same paths written inline in code (`crate::x::f()`),
and a use of a name the parent module re-exports (`super::Name` where the
parent has `use child::Name`) counts as a use of that child. Comments and
string literals are skipped; `#[cfg(test)]` modules count like any other
code (a test that reaches into a sibling is a dependency too) unless
--skip-tests leaves them out. -r also checks every folder below those given.

Every elementary cycle is printed with the file:line that makes each arrow,
so that the fix is in view. Exit status: 0 when no folder has a cycle, 1 when
one has, 2 on bad arguments. Python 3 standard library only.
"""

import argparse
import os
import sys

# ----------------------------------------------------------------------------
# Lexing: Rust source to (kind, text, line) tokens, without comments and
# literals (a path written in a doc comment or a string is not an import).


def lex(text):
    """Tokens of a Rust file: ("id", name, line) or ("p", punct, line)."""
    tokens = []
    i, n, line = 0, len(text), 1
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
        elif c.isspace():
            i += 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            i, line = skip_block_comment(text, i, line)
        elif c in "rb" and is_raw_string(text, i):
            i, line = skip_raw_string(text, i, line)
        elif c == '"' or (c == "b" and text.startswith('b"', i)):
            i, line = skip_string(text, i + (1 if c == "b" else 0), line)
        elif c == "'" or (c == "b" and text.startswith("b'", i)):
            i = skip_char_or_lifetime(text, i + (1 if c == "b" else 0))
        elif c.isalpha() or c == "_":
            j = i
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            tokens.append(("id", text[i:j], line))
            i = j
        elif text.startswith("::", i):
            tokens.append(("p", "::", line))
            i += 2
        else:
            tokens.append(("p", c, line))
            i += 1
    return tokens


def skip_block_comment(text, i, line):
    depth = 0
    n = len(text)
    while i < n:
        if text.startswith("/*", i):
            depth += 1
            i += 2
        elif text.startswith("*/", i):
            depth -= 1
            i += 2
            if depth == 0:
                return i, line
        else:
            if text[i] == "\n":
                line += 1
            i += 1
    return i, line


def is_raw_string(text, i):
    j = i + 1 if text[i] == "r" else i + 2 if text.startswith("br", i) else -1
    if j < 0 or (i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_")):
        return False
    while j < len(text) and text[j] == "#":
        j += 1
    return j < len(text) and text[j] == '"'


def skip_raw_string(text, i, line):
    j = text.index("r", i) + 1
    hashes = 0
    while text[j] == "#":
        hashes += 1
        j += 1
    end = '"' + "#" * hashes
    k = text.find(end, j + 1)
    k = len(text) if k < 0 else k + len(end)
    return k, line + text.count("\n", i, k)


def skip_string(text, i, line):
    j = i + 1
    n = len(text)
    while j < n and text[j] != '"':
        j += 2 if text[j] == "\\" else 1
    return j + 1, line + text.count("\n", i, j)


def skip_char_or_lifetime(text, i):
    """A char literal ('a', '\\n', '\\u{1F600}') or a lifetime ('a)."""
    if text.startswith("\\", i + 1):
        j = text.find("'", i + 2)
        return j + 1
    if i + 2 < len(text) and text[i + 2] == "'":
        return i + 3
    return i + 1  # a lifetime: its name lexes as an identifier after


# ----------------------------------------------------------------------------
# Modules: which files are which module, and what each module names.


class Module:
    def __init__(self, path, file):
        self.path = path  # tuple of names from the crate root
        self.file = file
        self.imports = {}  # name -> (origin, segments) as written
        self.globs = []  # (origin, segments) of `use x::*`


def module_path(src, file):
    rel = os.path.relpath(file, src)[: -len(".rs")].split(os.sep)
    if rel == ["lib"]:
        return ()
    if rel[-1] == "mod":
        rel = rel[:-1]
    return tuple(rel)


def library_files(src):
    """The library crate's files: all of src/ but the binary's main.rs and bin/."""
    for root, dirs, files in os.walk(src):
        dirs.sort()
        if os.path.samefile(root, src):
            dirs[:] = [d for d in dirs if d != "bin"]
        for f in sorted(files):
            if f.endswith(".rs") and not (os.path.samefile(root, src) and f == "main.rs"):
                yield os.path.join(root, f)


def read_crate(src):
    """Modules by path, and the raw references (from, origin, segments, file, line)."""
    modules = {}
    refs = []
    for file in library_files(src):
        with open(file, encoding="utf-8") as f:
            tokens = lex(f.read())
        scan_file(module_path(src, file), file, tokens, modules, refs)
    return modules, refs


def scan_file(top, file, tokens, modules, refs):
    """Record the modules a file declares inline and every path it names."""
    modules.setdefault(top, Module(top, file))
    stack = [(top, -1)]  # (module, brace depth at which it closes)
    depth = 0
    i = 0
    while i < len(tokens):
        kind, text, line = tokens[i]
        here = stack[-1][0]
        if kind == "p" and text == "{":
            depth += 1
        elif kind == "p" and text == "}":
            depth -= 1
            if depth == stack[-1][1]:
                stack.pop()
        elif is_inline_mod(tokens, i):
            inner = here + (tokens[i + 1][1],)
            modules.setdefault(inner, Module(inner, file))
            if test_only(tokens, i):
                TEST_MODULES.add(inner)
            stack.append((inner, depth))
            depth += 1
            i += 3
            continue
        elif is_mod_declaration(tokens, i) and test_only(tokens, i):
            TEST_MODULES.add(here + (tokens[i + 1][1],))
        elif kind == "id" and text == "use" and not next_is(tokens, i, "<"):
            i = scan_use(tokens, i + 1, here, file, modules, refs)
            continue
        elif kind == "id" and text in ("crate", "super", "self") and next_is(tokens, i, "::"):
            if not prev_is(tokens, i, "::"):
                segs, i = read_path(tokens, i)
                refs.append((here, here, segs, file, line))
                continue
        i += 1


# Modules compiled for tests only (`#[cfg(test)] mod x;` or `mod x { ... }`).
TEST_MODULES = set()


def is_mod_declaration(tokens, i):
    return (
        tokens[i][:2] == ("id", "mod")
        and i + 2 < len(tokens)
        and tokens[i + 1][0] == "id"
        and tokens[i + 2][1] == ";"
    )


def test_only(tokens, i):
    """Whether the `mod` at tokens[i] carries a `#[cfg(test)]` attribute."""
    j = i - 1
    if j >= 0 and tokens[j][1] == ")":  # pub(crate), pub(super), ...
        while j >= 0 and tokens[j][1] != "(":
            j -= 1
        j -= 1
    if j >= 0 and tokens[j][1] == "pub":
        j -= 1
    while j >= 0 and tokens[j][1] == "]":
        k = j
        while k >= 0 and tokens[k][1] != "[":
            k -= 1
        if [t[1] for t in tokens[k + 1 : j]] == ["cfg", "(", "test", ")"]:
            return True
        j = k - 2  # before the attribute's `#`
    return False


def is_inline_mod(tokens, i):
    return (
        tokens[i] == ("id", "mod", tokens[i][2])
        and i + 2 < len(tokens)
        and tokens[i + 1][0] == "id"
        and tokens[i + 2][1] == "{"
    )


def next_is(tokens, i, text):
    return i + 1 < len(tokens) and tokens[i + 1][1] == text


def prev_is(tokens, i, text):
    return i > 0 and tokens[i - 1][1] == text


def read_path(tokens, i):
    """`a::b::c` from tokens[i]; returns the segments and the index after."""
    segs = [tokens[i][1]]
    i += 1
    while i + 1 < len(tokens) and tokens[i][1] == "::" and tokens[i + 1][0] == "id":
        segs.append(tokens[i + 1][1])
        i += 2
    return segs, i


def scan_use(tokens, i, here, file, modules, refs):
    """A use item from tokens[i] (after `use`) to its `;`."""
    line = tokens[i - 1][2]
    external = tokens[i][1] == "::"
    items, i = use_tree(tokens, i + (1 if external else 0), [])
    if i < len(tokens) and tokens[i][1] == ";":
        i += 1
    if external:
        return i
    module = modules[here]
    for segs, alias in items:
        if segs[-1] == "*":
            module.globs.append((here, segs[:-1]))
            refs.append((here, here, segs[:-1], file, line))
            continue
        if segs[-1] == "self":
            segs = segs[:-1]
        name = alias or segs[-1]
        if name != "_":
            module.imports[name] = (here, segs)
        refs.append((here, here, segs, file, line))
    return i


def use_tree(tokens, i, prefix):
    """Expand `a::{b, c::d as e, f::*}` into ([segments], alias) pairs."""
    items = []
    if tokens[i][1] == "{":
        i += 1
        while i < len(tokens) and tokens[i][1] != "}":
            sub, i = use_tree(tokens, i, prefix)
            items.extend(sub)
            if tokens[i][1] == ",":
                i += 1
        return items, i + 1
    segs = list(prefix)
    while i < len(tokens):
        kind, text, _ = tokens[i]
        if kind == "id" or text == "*":
            segs.append(text)
            i += 1
        if i < len(tokens) and tokens[i][1] == "::":
            i += 1
            if tokens[i][1] == "{":
                sub, i = use_tree(tokens, i, segs)
                return items + sub, i
            continue
        break
    alias = None
    if i + 1 < len(tokens) and tokens[i][1] == "as":
        alias = tokens[i + 1][1]
        i += 2
    items.append((segs, alias))
    return items, i


# ----------------------------------------------------------------------------
# Resolution: a path as written to the deepest module it reaches.


def absolute(modules, here, segs):
    """The path from the crate root, or None for another crate's path."""
    first = segs[0]
    if first == "crate":
        return list(segs[1:])
    if first in ("super", "self"):
        base = list(here)
        rest = list(segs)
        while rest and rest[0] in ("super", "self"):
            if rest.pop(0) == "super":
                if not base:
                    return None
                base.pop()
        return base + rest
    if tuple(here) + (first,) in modules:  # a child module, 2018-style
        return list(here) + list(segs)
    return None  # another crate (std, rand, ...)


def resolve(modules, segs, hops=0):
    """The deepest module a root path reaches, through re-exports too."""
    cur = ()
    for k, s in enumerate(segs):
        if cur + (s,) in modules:
            cur += (s,)
            continue
        if hops < 16:
            via = follow(modules, cur, s)
            if via is not None:
                return resolve(modules, via + list(segs[k + 1 :]), hops + 1)
        break
    return cur


def follow(modules, cur, name):
    """Where a name that `cur` imports (or glob-imports) points to."""
    module = modules[cur]
    if name in module.imports:
        origin, target = module.imports[name]
        base = absolute(modules, origin, target)
        if base is not None and tuple(base) != cur + (name,):
            return base
    for origin, target in module.globs:
        base = absolute(modules, origin, target)
        if base is not None and tuple(base) + (name,) in modules:
            return base + [name]
    return None


def in_tests(path):
    return any(tuple(path[:k]) in TEST_MODULES for k in range(1, len(path) + 1))


def edges(modules, refs, skip_tests):
    """{(from module, to module): [(file, line), ...]} for every reference."""
    found = {}
    for here, origin, segs, file, line in refs:
        if skip_tests and in_tests(here):
            continue
        path = absolute(modules, origin, segs)
        if path is None:
            continue
        target = resolve(modules, path)
        found.setdefault((tuple(here), target), []).append((file, line))
    return found


# ----------------------------------------------------------------------------
# Cycles among the children of one folder.


def child_graph(modules, found, parent):
    """Arrows between the direct children of `parent`, with their evidence."""
    k = len(parent)
    children = sorted(p[k] for p in modules if len(p) == k + 1 and p[:k] == parent)
    graph = {c: {} for c in children}
    for (a, b), where in found.items():
        if len(a) > k and len(b) > k and a[:k] == parent and b[:k] == parent:
            if a[k] != b[k]:
                graph[a[k]].setdefault(b[k], []).extend(where)
    return graph


def components(graph):
    """Strongly connected components (Tarjan), each a sorted list."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def cycles(graph, comp, limit):
    """Elementary cycles inside one component, each starting at its least
    node (so each is printed once), at most `limit` of them."""
    members = set(comp)
    found = []
    for start in comp:
        allowed = {v for v in members if v >= start}
        path = [start]

        def walk(v):
            for w in sorted(graph[v]):
                if len(found) >= limit:
                    return
                if w == start:
                    found.append(list(path))
                elif w in allowed and w not in path:
                    path.append(w)
                    walk(w)
                    path.pop()

        walk(start)
    return found


def report(folder, parent, graph, limit, src):
    """Print the folder's cycles; returns how many there are."""
    comps = [c for c in components(graph) if len(c) > 1]
    if not comps:
        print(f"{folder}: no cycles among its {len(graph)} modules")
        return 0
    total = 0
    name = "::".join(parent) or "crate"
    for comp in comps:
        found = cycles(graph, comp, limit)
        total += len(found)
        print(f"{folder}: {name}::{{{', '.join(comp)}}} import each other")
        for cycle in found:
            print("  " + " -> ".join(cycle + [cycle[0]]))
            for a, b in zip(cycle, cycle[1:] + cycle[:1]):
                where = sorted(set(graph[a][b]))
                file, line = where[0]
                more = f" (and {len(where) - 1} more)" if len(where) > 1 else ""
                print(f"    {a} -> {b}: {os.path.relpath(file)}:{line}{more}")
        if len(found) >= limit:
            print(f"  (stopped at {limit} cycles; --limit sets it)")
    return total


def crate_src(folder):
    """The `src` folder above (or at) `folder`, and the folder's module path."""
    parts = os.path.normpath(os.path.abspath(folder)).split(os.sep)
    if "src" not in parts:
        return None, None
    k = len(parts) - 1 - parts[::-1].index("src")
    return os.sep.join(parts[: k + 1]) or os.sep, tuple(parts[k + 1 :])


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folders", nargs="+", help="folders under a crate's src/, e.g. src/learn")
    ap.add_argument("--limit", type=int, default=200, help="cycles printed per component")
    ap.add_argument(
        "-r", "--recursive", action="store_true", help="also every folder under each one given"
    )
    ap.add_argument(
        "--skip-tests",
        action="store_true",
        help="leave out code under #[cfg(test)] modules (counted by default)",
    )
    args = ap.parse_args(argv)
    folders = []
    for folder in args.folders:
        folders.append(folder)
        if args.recursive and os.path.isdir(folder):
            below = [os.path.join(r, d) for r, dirs, _ in os.walk(folder) for d in dirs]
            folders.extend(sorted(below))
    crates = {}
    total = 0
    for folder in folders:
        src, parent = crate_src(folder)
        if src is None or not os.path.isdir(folder):
            print(f"{folder}: not a folder under a crate's src/", file=sys.stderr)
            return 2
        if src not in crates:
            modules, refs = read_crate(src)
            crates[src] = (modules, edges(modules, refs, args.skip_tests))
        modules, found = crates[src]
        graph = child_graph(modules, found, parent)
        total += report(folder, parent, graph, args.limit, src)
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
