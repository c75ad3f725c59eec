"""dvc.yaml's deps and params cannot go stale: for every stage command, the staleguard modules it
imports (transitively, function-level imports and parent packages included) must be covered by the
stage's `deps`, and every params setting those modules read must be in its `params`. Otherwise a PR
changing one of them would get the old outputs back from DVC's cache without a word.

Both are read from the source with `ast`. The settings a module reads are the attribute chains on a
`Params` value (`params.monitor.engine`, also through a local alias such as `mon = params.monitor`);
a section used whole (`Recipe(params.train)`) needs the whole section.
"""

import ast
import shlex
from pathlib import Path

import pytest
import yaml

from staleguard.params import Params
from tests.conftest import ROOT
from tests.test_layers import imports, modules

SRC = ROOT / "src"
DVC = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
SECTIONS = set(Params.model_fields)
PARAM_NAMES = {"params", "p"}  # names a Params value goes by in src/ (plus annotated arguments)


def handler_of(cmd: str) -> tuple[str, ast.FunctionDef]:
    """The module and the function definition that `staleguard <command>` dispatches to."""
    from staleguard.cli import build_parser

    handler = build_parser().parse_args(shlex.split(cmd)[1:]).handler
    outer = handler.__qualname__.split(".")[0]  # a closure (`_stage(name)`) is read as its maker
    fn = next(n for n in ast.walk(ast.parse(modules()[handler.__module__].read_text()))
              if isinstance(n, ast.FunctionDef) and n.name == outer)
    return handler.__module__, fn


def entry_modules(cmd: str) -> set[str]:
    """The modules `staleguard <command>` runs: what its handler imports, the module-level imports of
    the handler's module (not its other handlers'), and staleguard.stages.<command> for a stage."""
    module, fn = handler_of(cmd)
    known = modules()
    found = {target for target, _ in imports(module, known[module], known, top_level_only=True)}
    name = shlex.split(cmd)[1]
    if f"staleguard.stages.{name}" in known:
        found.add(f"staleguard.stages.{name}")
    for node in ast.walk(fn):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("staleguard"):
            for a in node.names:
                sub = f"{node.module}.{a.name}"
                found.add(sub if sub in known else node.module)
    return found


def trivial(path: Path) -> bool:
    """A package __init__ of a docstring and constants (`__version__`) cannot change an output."""
    body = ast.parse(path.read_text()).body
    return path.name == "__init__.py" and all(isinstance(n, ast.Expr | ast.Assign) and
                                              isinstance(n.value, ast.Constant) for n in body)


def closure(start: set[str]) -> set[str]:
    known = modules()
    seen: set[str] = set()
    todo = list(start)
    while todo:
        name = todo.pop()
        if name in seen or name not in known:
            continue
        seen.add(name)
        parts = name.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))  # parent packages run first
        todo.extend(target for target, _ in imports(name, known[name], known))
    return seen


def _chain(node: ast.expr) -> list[str] | None:
    names = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return [node.id, *reversed(names)]
    return None


def settings_read(path: Path, only: ast.FunctionDef | None = None) -> set[str]:
    """'section' or 'section.key' for every Params attribute chain in the module (or in `only`)."""
    tree = only or ast.parse(path.read_text())
    found: set[str] = set()
    for fn in [tree, *(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef))]:
        roots = set(PARAM_NAMES)
        aliases: dict[str, list[str]] = {}
        aliased: set[int] = set()  # `mon = params.monitor`: read through `mon`, not whole
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            for arg in fn.args.args + fn.args.kwonlyargs:
                if arg.annotation is not None and ast.unparse(arg.annotation).strip("'\"") == "Params":
                    roots.add(arg.arg)
        for node in ast.walk(fn):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                    isinstance(node.targets[0], ast.Name):
                chain = _chain(node.value) if isinstance(node.value, ast.Attribute) else None
                if chain and chain[0] in roots and len(chain) >= 2 and chain[1] in SECTIONS:
                    aliases[node.targets[0].id] = chain[1:]
                    aliased.add(id(node.value))
        parents = {id(c): p for p in ast.walk(fn) for c in ast.iter_child_nodes(p)}
        for node in ast.walk(fn):
            if not isinstance(node, ast.Attribute) or isinstance(parents.get(id(node)), ast.Attribute) \
                    or id(node) in aliased:
                continue  # the longest chain only
            chain = _chain(node)
            if not chain:
                continue
            if chain[0] in aliases:
                chain = ["params", *aliases[chain[0]], *chain[1:]]
            if chain[0] in roots and len(chain) >= 2 and chain[1] in SECTIONS:
                keys = [k for k in chain[1:3] if k not in {"model_copy", "model_dump"}]
                found.add(".".join(keys))
    return found


def covered(setting: str, listed: list[str]) -> bool:
    return any(setting == p or setting.startswith(p + ".") for p in listed)


STAGES = sorted(DVC)


@pytest.mark.parametrize("stage", STAGES)
def test_dvc_stage_deps_cover_every_module_its_command_imports(stage):
    spec = DVC[stage]
    deps = [d for d in spec.get("deps", []) if d.startswith("src/")]
    used = closure(entry_modules(spec["cmd"])) | {handler_of(spec["cmd"])[0]}  # its dispatch logic too
    known = modules()
    files = {known[m].relative_to(ROOT).as_posix() for m in used if not trivial(known[m])}
    missing = sorted(f for f in files if not any(f == d or f.startswith(d.rstrip("/") + "/") for d in deps))
    assert not missing, f"dvc.yaml stage {stage!r} does not list these deps its command imports: {missing}"


@pytest.mark.parametrize("stage", STAGES)
def test_dvc_stage_params_cover_every_setting_its_modules_read(stage):
    spec = DVC[stage]
    listed = [p if isinstance(p, str) else next(iter(p)) for p in spec.get("params", [])]
    known = modules()
    module, fn = handler_of(spec["cmd"])
    # params.py's own reads are its load checks: they decide whether a stage runs, not what it writes
    reads = {s: m for m in closure(entry_modules(spec["cmd"])) - {"staleguard.params"}
             for s in settings_read(known[m])}
    reads.update({s: module for s in settings_read(known[module], only=fn)})
    missing = sorted(f"{s} ({reads[s]})" for s in reads if not covered(s, listed))
    assert not missing, f"dvc.yaml stage {stage!r} does not list these params its modules read: {missing}"


def test_settings_reader_follows_aliases_and_annotations(tmp_path):
    src = tmp_path / "m.py"
    src.write_text("def f(params, x):\n    mon = params.monitor\n    return mon.engine, params.drift\n"
                   "def g(cfg: Params):\n    return cfg.train.seed\n")
    assert settings_read(src) == {"monitor.engine", "drift", "train.seed"}
