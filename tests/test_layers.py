"""The house's one direction of imports (docs: DESIGN.md "Code layout"): cli → features → stages →
core, read from the source with `ast`. No arrow runs from a lower layer to a higher one, and no two
modules import each other in a circle (function-level imports included: they run too)."""

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import ROOT

SRC = ROOT / "src"
PACKAGE = "staleguard"
# Lowest first. A module's layer is that of its longest listed prefix; an import may go to its own
# layer or below. Within core the order matters too: params knows no contract, data no model, ...
LAYERS: list[tuple[str, ...]] = [
    ("errors", "io", "gha", "gitpush", "dvc_ops", "timing", "fit_cache"),  # no staleguard imports
                                                                           # beyond this row
    ("params", "cadence"),   # cadence: the sizes and checks params.yaml's validation derives
    ("artifacts",),
    ("contract",),
    ("data",),
    ("model", "model_plots", "baseline"),
    ("recipe",),                 # the one way to fit: the verdict's backtests fit through it
    ("drift", "verdict"),
    ("stages",),
    ("report", "monitor", "registry", "serve", "replay", "dashboard"),   # features
    ("cli",),
]
# Arrows that are still there on purpose, each with the one that removes it (none left: the window
# policy moved down into data/windows.py).
KNOWN_UPWARD: set[tuple[str, str]] = set()


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path],
            top_level_only: bool = False) -> Iterator[tuple[str, int]]:
    """(imported staleguard module, line) for every import in `path` (or only its module-level
    ones); `from pkg import sub` counts as importing the submodule when `sub` is one."""
    is_pkg = path.name == "__init__.py"
    tree = ast.parse(path.read_text())
    for node in tree.body if top_level_only else ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                here = name.split(".") if is_pkg else name.split(".")[:-1]
                here = here[: len(here) - (node.level - 1)]
                base = ".".join([*here, *([base] if base else [])])
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for target in targets:
            if target == PACKAGE or target.startswith(PACKAGE + "."):
                yield target, node.lineno


def layer(module: str) -> int:
    rest = module.removeprefix(PACKAGE + ".")
    best = (-1, -1)
    for i, names in enumerate(LAYERS):
        for prefix in names:
            if rest == prefix or rest.startswith(prefix + "."):
                best = max(best, (len(prefix), i))
    assert best[1] >= 0, f"{module}: in no layer of tests/test_layers.py; add it where it belongs"
    return best[1]


def graph() -> dict[str, set[str]]:
    known = modules()
    edges: dict[str, set[str]] = {m: set() for m in known}
    for name, path in known.items():
        for target, _ in imports(name, path, known):
            if target != name and target != PACKAGE:
                edges[name].add(target)
    return edges


def test_every_module_has_a_layer():
    for name in modules():
        if name != PACKAGE:
            layer(name)


def test_no_import_runs_up_a_layer():
    known = modules()
    upward = set()
    for name, path in known.items():
        if name == PACKAGE:
            continue
        for target, line in imports(name, path, known):
            if target != PACKAGE and layer(target) > layer(name):
                upward.add((name, target, line))
    unexpected = sorted(f"{path}:{line} imports {target}" for path, target, line in upward
                        if (path, target) not in KNOWN_UPWARD)
    assert not unexpected, "imports up the layers:\n" + "\n".join(unexpected)
    gone = KNOWN_UPWARD - {(a, b) for a, b, _ in upward}
    assert not gone, f"these known exceptions are gone: delete them from KNOWN_UPWARD: {sorted(gone)}"


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_circle():
    """A package's __init__ re-exporting its own modules is not a circle; a module importing its
    package's __init__ back for a name is (it only works by import order)."""
    edges = graph()
    cycle = _cycle(edges)
    assert cycle is None, "import circle: " + " → ".join(cycle or [])


def test_cycle_finder_finds_one():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_two_modules_share_a_file_name():
    seen: dict[str, list[str]] = {}
    for path in (SRC / PACKAGE).rglob("*.py"):
        if path.name != "__init__.py":
            seen.setdefault(path.name, []).append(str(path.relative_to(SRC)))
    shared = {name: paths for name, paths in seen.items() if len(paths) > 1}
    assert not shared, f"one file name per job: {shared}"
