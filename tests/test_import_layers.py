"""The package's layer order, read from its own import statements: no module imports one
in a higher layer, there is no import cycle, and every module imports on its own.

The order is documented in docs/architecture.md; a module not listed here fails the test
until it is given a layer.
"""

import ast
import json
import subprocess
import sys
from pathlib import Path

import keras
import pytest

# Reads the package's source; the fresh-interpreter imports run on TensorFlow only: tox runs
# these once, in the tensorflow environment
pytestmark = pytest.mark.backend_free

PACKAGE = Path(__file__).resolve().parents[1] / "kerasnoise"

#: Lowest first.  A module may import modules of its own layer or of lower layers only.
LAYERS = [
    ["_checks", "registry", "_io", "_quiet", "_args", "_stats", "pool"],  # helpers
    ["devices"],  # what the backend and machine can do
    ["datasets"],  # datasets/: base -> dataset, builtin -> catalogue -> noise_source
    ["noise"],  # noise/: base -> replacement, additive, instance; transition (NumPy)
    ["pipelines", "metrics"],
    ["models", "losses", "methods"],
    ["config"],
    ["presets"],
    ["optimizers", "callbacks", "results"],
    ["training"],
    ["reevaluation", "sweep"],
    ["report", "claims"],
    ["search"],
    ["tables", "cli", "synthetic"],
]
LAYER = {name: i for i, names in enumerate(LAYERS) for name in names}


def modules() -> dict[str, Path]:
    """``{"noise": path, "presets.menon2020": path, ...}`` of every module of the package."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts:
            found[".".join(parts)] = path
    return found


def top(name: str) -> str:
    """The layer unit of a module: its top-level module or subpackage."""
    return name.split(".")[0]


def _named_modules(node: ast.Call) -> list[str]:
    """The ``kerasnoise`` modules a call imports by name at run time:
    ``importlib.import_module("kerasnoise.x")`` and a registry's ``modules=("kerasnoise.x",)``."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    values = list(node.args[:1]) if name == "import_module" else []
    values += [
        elt
        for kw in node.keywords
        if kw.arg == "modules" and isinstance(kw.value, (ast.Tuple, ast.List))
        for elt in kw.value.elts
    ]
    return [
        v.value.removeprefix("kerasnoise.")
        for v in values
        if isinstance(v, ast.Constant)
        and isinstance(v.value, str)
        and v.value.startswith("kerasnoise.")
    ]


def imports(path: Path) -> set[str]:
    """The ``kerasnoise`` modules ``path`` imports, at the top, inside functions, or by
    name at run time (``importlib.import_module``, a registry's ``modules=``)."""
    known = modules()
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            found.update(_named_modules(node))
        elif isinstance(node, ast.Import):
            found |= {
                a.name.removeprefix("kerasnoise.")
                for a in node.names
                if a.name.startswith("kerasnoise.")
            }
        elif isinstance(node, ast.ImportFrom):
            assert not node.level, f"{path}: relative import"
            if not (node.module or "").startswith("kerasnoise"):
                continue
            base = node.module.removeprefix("kerasnoise").lstrip(".")
            if base:
                found.add(base)
            for alias in node.names:
                candidate = f"{base}.{alias.name}" if base else alias.name
                if candidate in known:
                    found.add(candidate)
    return found


GRAPH = {name: imports(path) for name, path in modules().items()}


def test_every_module_has_a_layer():
    missing = sorted({top(m) for m in GRAPH} - set(LAYER))
    assert not missing, f"give these modules a layer in LAYERS and docs/architecture.md: {missing}"


def test_no_module_imports_a_higher_layer():
    upward = [
        f"{name} (layer {LAYER[top(name)]}) imports {dep} (layer {LAYER[top(dep)]})"
        for name, deps in GRAPH.items()
        for dep in deps
        if top(dep) != top(name) and LAYER[top(dep)] > LAYER[top(name)]
    ]
    assert not upward, "\n".join(upward)


def test_the_library_never_imports_the_cli_torch_or_jax():
    for name, path in modules().items():
        if name != "cli":
            assert "cli" not in {top(d) for d in GRAPH[name]}, name
        tree = ast.parse(path.read_text())
        names = {
            a.name.split(".")[0]
            for n in ast.walk(tree)
            if isinstance(n, ast.Import)
            for a in n.names
        }
        names |= {
            (n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
        }
        assert not names & {"torch", "jax"}, name


def test_no_import_cycle():
    """Between top-level modules (a subpackage counts as one)."""
    edges = {}
    for name, deps in GRAPH.items():
        edges.setdefault(top(name), set()).update(top(d) for d in deps if top(d) != top(name))
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                pytest.fail("import cycle: " + " -> ".join([*path, node, nxt]))
            if nxt not in state:
                visit(nxt, [*path, node])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [])


def test_the_graph_reader_sees_imports_made_by_name_at_run_time(tmp_path):
    source = tmp_path / "x.py"
    source.write_text(
        "import importlib\n"
        "def f():\n"
        "    importlib.import_module('kerasnoise.noise.instance')\n"
        "R = Registry('k', 'g', {}, modules=('kerasnoise.losses.correction',))\n"
        "importlib.import_module(f'{__name__}.x')  # not a constant: a package's own\n"
    )
    assert imports(source) == {"noise.instance", "losses.correction"}


def test_the_graph_reader_sees_lazy_and_package_imports():
    assert "config" in GRAPH["report.groups"]  # imported inside a function
    assert {"presets._registry", "config"} <= GRAPH["presets.menon2020"]
    assert "devices.execution" in GRAPH["models.data_format"]


#: Run in a fresh interpreter: the third-party libraries are loaded once, then each
#: kerasnoise module is imported alone in a child forked from that state (a fresh
#: interpreter per module, less the seconds of importing TensorFlow forty times).
ALONE = """
import importlib, json, os, sys
import keras, numpy, pandas, scipy.stats, tensorflow
try:
    import keras_tuner
except ImportError:
    pass
assert not [m for m in sys.modules if m.startswith("kerasnoise")]
failed = {}
for name in json.loads(sys.argv[1]):
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            importlib.import_module(name)
            code, message = 0, b""
        except BaseException as err:
            code, message = 1, repr(err).encode()[-2000:]
        os.write(write, message)
        os._exit(code)
    os.close(write)
    message = os.read(read, 4096).decode()
    os.close(read)
    if os.waitpid(pid, 0)[1] != 0:
        failed[name] = message
print(json.dumps(failed))
"""


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="once, in one environment")
def test_every_module_imports_on_its_own_in_a_fresh_interpreter():
    names = ["kerasnoise", *(f"kerasnoise.{m}" for m in GRAPH)]
    probe = "kerasnoise._no_such_module"  # proves a failing import is reported
    done = subprocess.run(
        [sys.executable, "-c", ALONE, json.dumps([*names, probe])],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    failed = json.loads(done.stdout.strip().splitlines()[-1])
    assert "ModuleNotFoundError" in failed.pop(probe, "")
    assert failed == {}, failed
    assert len(names) > 35
