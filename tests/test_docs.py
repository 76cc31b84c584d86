"""Every code block of ``docs/extending.md`` runs (issue 43), so that the page cannot
drift from the code.  Which blocks make which program:

- **the python blocks** (:func:`run_python_blocks`): in one fresh interpreter whose
  current folder is a temporary one beside ``../shared/data``, each block in a namespace
  of its own (so none relies on another's imports), in document order, each followed by
  checks of what the page says of it (:data:`PYTHON_CHECKS`).  The script of section (a)
  is written to ``my_table.py`` and imported, as its worker processes import it, and the
  one-cell ``run(...)`` call the page shows is run small;
- **the package of section (b)** (:func:`build_focal_package`): ``kerasnoise_focal/
  parts.py`` is made of the definitions that the layout block's comment names (``Focal
  (above), small_cnn, ...``), taken from the python blocks without their ``register``
  lines, as the page says, with the imports they use; its ``*.dist-info`` holds an
  ``entry_points.txt`` made from the toml block's ``[project.entry-points.*]`` tables;
- **the bash blocks**, command by command, with that package installed, in a bash whose
  ``kerasnoise`` and ``python`` are this interpreter's, ``HOME`` a temporary folder whose
  ``data/my_digits.npz`` holds 600 + 200 MNIST images: :data:`COMMANDS` says of each
  command whether it runs as written, runs with overrides that make its training take
  seconds, or -- a long training -- is parsed and its configs validated instead.

:func:`test_the_page_has_the_blocks_this_test_runs` fails when a block is added or
removed, so that a new block gets a program here.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import REPO, install_distribution, plugin_environment

# The page's programs are machinery above single runs (a package installed by entry
# points, its commands, a table): tox runs them on PyTorch only; the plug-ins' runs on
# every backend are tests/test_plugins.py's.
pytestmark = pytest.mark.orchestration

DOC = REPO / "docs" / "extending.md"

SCRIPT = "(a) Your loss beside the paper's six, in one script"
PACKAGE = "(b) A plug-in package with entry points"

#: The page's blocks, (section, language), in order: what the programs below are made of.
LAYOUT = [
    (SCRIPT, "python"),
    (PACKAGE, ""),  # the package's files; its comment names what parts.py holds
    (PACKAGE, "toml"),
    (PACKAGE, "bash"),
    ("A loss", "python"),
    ("A model", "python"),
    ("A noise model", "python"),
    ("A training method", "python"),
    ("A training method", "bash"),
    ("A data set", "python"),
    ("A data set", "bash"),
]

RUN, SMALL, VALIDATE = "runs as written", "runs small", "parsed and validated"

#: How each command of the bash blocks is run, by the words it starts with.
COMMANDS = {
    "kerasnoise presets": RUN,
    "kerasnoise train menon-mnist-lenet loss=focal": SMALL,  # 20 epochs: 1 on 500 images
    "kerasnoise eval": RUN,
    # 2 methods x 3 seeds x 20 epochs on MNIST: `--report-only`, which plans and checks
    # every run's config and trains none
    "python -m experiments.menon_mnist": VALIDATE,
    # 200 epochs on MNIST: the config validates (the method's check included); the
    # method's rule is checked by the python blocks (PYTHON_CHECKS)
    "kerasnoise train coteaching-mnist-mlp": VALIDATE,
    # 20 epochs on the user's data: the config validates; SMALL above trains on
    # my_digits from ~/data
    "kerasnoise train menon-mnist-lenet dataset=my_digits": VALIDATE,
}

#: What makes a training command of the page take seconds (after the preset's name).
SMALL_OVERRIDES = "epochs=1 train_limit=500 batch_size=50 eval_batch_size=200"
#: ``~/data/my_digits.npz``: the first training and test images of MNIST.
MY_DIGITS = {"train": 600, "test": 200}


# --------------------------------------------------------------------------- the page


@dataclasses.dataclass(frozen=True)
class Block:
    section: str  # the heading above it, without its #s
    lang: str  # "python", "bash", "toml" or "" (a plain fence)
    code: str


def blocks() -> list[Block]:
    """The fenced code blocks of the page, in order."""
    found, section, fence, lines = [], "", None, []
    for line in DOC.read_text().splitlines():
        if fence is None and line.startswith("#"):
            section = line.lstrip("#").strip()
        elif fence is None and line.startswith("```"):
            fence, lines = line[3:].strip(), []
        elif fence is not None and line.startswith("```"):
            found.append(Block(section, fence, "\n".join(lines) + "\n"))
            fence = None
        elif fence is not None:
            lines.append(line)
    assert fence is None, "an unclosed code fence in docs/extending.md"
    return found


def block(section: str, lang: str) -> Block:
    (found,) = [b for b in blocks() if (b.section, b.lang) == (section, lang)]
    return found


def commands(code: str) -> list[tuple[str, str]]:
    """``(command, comment)`` of each command of a bash block (continuation lines
    joined; the comment after it, ``""`` if none)."""
    found = []
    for line in code.replace("\\\n", " ").splitlines():
        command, comment = [*re.split(r"\s+#\s+", line, maxsplit=1), ""][:2]
        command = re.sub(r"\s+", " ", command).strip()
        if command and not command.startswith("#"):
            found.append((command, comment.strip()))
    return found


def how(command: str) -> tuple[str, str]:
    """``(key, way)`` of :data:`COMMANDS` for a command of the page."""
    keys = [key for key in COMMANDS if command == key or command.startswith(key + " ")]
    assert keys, f"{command!r}: say in tests/test_docs.py COMMANDS how it runs"
    key = max(keys, key=len)
    return key, COMMANDS[key]


def test_the_page_has_the_blocks_this_test_runs():
    assert [(b.section, b.lang) for b in blocks()] == LAYOUT
    seen = {how(c)[0] for b in blocks() if b.lang == "bash" for c, _ in commands(b.code)}
    assert seen == set(COMMANDS)  # each way of running is used by a command of the page


# --------------------------------------------------------------------------- data


@pytest.fixture(scope="module")
def home(shared_data, tmp_path_factory) -> Path:
    """A home folder whose ``data/my_digits.npz`` is what the page's data set reads
    (``--data-dir ~/data``), and beside which ``../shared/data`` is the real data."""
    from kerasnoise import datasets

    root = tmp_path_factory.mktemp("docs")
    (root / "shared").mkdir()
    (root / "shared" / "data").symlink_to(shared_data, target_is_directory=True)
    home = root / "home"
    (home / "data").mkdir(parents=True)
    mnist = datasets.load("mnist", shared_data, download=False)
    n, m = MY_DIGITS["train"], MY_DIGITS["test"]
    np.savez(
        home / "data" / "my_digits.npz",
        x_train=mnist.x_train[:n, ..., 0],  # (N, 28, 28), as MNIST's files have them
        y_train=mnist.y_train[:n].astype(np.uint8),
        x_test=mnist.x_test[:m, ..., 0],
        y_test=mnist.y_test[:m].astype(np.uint8),
    )
    return home


def work_folder(home: Path, name: str) -> Path:
    """A fresh current folder for a program, beside ``../shared/data``."""
    work = home.parent / name
    work.mkdir()
    return work


# --------------------------------------------------------------------------- python blocks


def check_script(namespace: dict, ran: dict) -> None:
    """(a): the loss is registered for configs and ``.keras`` saving; the quick table
    is 7 methods x 4 rates, one seed; the page's one-cell call runs, small (the focal
    loss only, one seed, one epoch on 500 images)."""
    import keras

    from kerasnoise import losses

    focal = namespace["Focal"]
    assert keras.saving.get_registered_name(focal) == "kerasnoise.losses>focal"
    assert isinstance(losses.get("focal", gamma=1), focal) and losses.get("focal").gamma == 2.0
    experiment = namespace["EXPERIMENT"]
    assert len(experiment.methods) == 7 and len(experiment.axes["noise.rate"]) == 4
    assert len(experiment.quick_seeds) == 1  # "the 28 runs of the quick table"
    small = {key: int(value) for key, value in (o.split("=") for o in SMALL_OVERRIDES.split())}
    outcome = namespace["run"](
        experiment,
        rates=[0.6],
        methods=["focal"],
        seeds=[0],
        out="runs/menon-mnist-focal",
        data_dir="../shared/data",
        jobs=1,
        progress=False,
        **small,
    )
    assert outcome.failed == {} and outcome.trained == 1
    assert list(outcome.table["method"]) == ["focal"]
    written = {p.name for p in Path("runs/menon-mnist-focal").iterdir()}
    assert {"table.md", "table.csv"} <= written and any(n.endswith(".png") for n in written)


def check_loss(namespace: dict, ran: dict) -> None:
    """The focal loss built on ``losses.Loss`` is the focal loss of (a), from logits and
    from probabilities, and saves its parameter."""
    import keras
    from keras import ops

    rng = np.random.default_rng(0)
    logits = rng.normal(size=(16, 10)).astype("float32") * 3
    labels = rng.integers(0, 10, size=(16,))
    ours = namespace["FocalOnOurs"](gamma=1.5)
    theirs = ran[SCRIPT]["Focal"](gamma=1.5)
    expected = float(ops.convert_to_numpy(theirs(labels, logits)))
    assert float(ops.convert_to_numpy(ours(labels, logits))) == pytest.approx(expected, rel=1e-5)
    probs = ops.softmax(logits)
    from_probs = namespace["FocalOnOurs"](gamma=1.5, from_logits=False)(labels, probs)
    assert float(ops.convert_to_numpy(from_probs)) == pytest.approx(expected, rel=1e-4)
    config = ours.get_config()
    assert config["gamma"] == 1.5 and config["name"] == "focal"
    assert type(ours).from_config(config).gamma == 1.5
    with pytest.raises(ValueError, match="gamma must be >= 0"):
        namespace["FocalOnOurs"](gamma=-1)
    assert isinstance(ours, keras.losses.Loss)


def check_model(namespace: dict, ran: dict) -> None:
    """``models.get`` builds it; the coupled decay is added to every trainable weight of
    a builder without ``weight_decay``; ``models.builder`` is the function."""
    from kerasnoise import models

    model = models.get("small_cnn", input_shape=(28, 28, 1), num_classes=10)
    assert tuple(model.output.shape) == (None, 10) and not model.losses
    decayed = models.get("small_cnn", input_shape=(28, 28, 1), num_classes=10, weight_decay=1e-3)
    assert len(decayed.losses) == len(decayed.trainable_weights) == 4
    assert models.has("Small-CNN") and "small_cnn" in models.available()
    assert models.builder("small_cnn") is namespace["small_cnn"]


def check_noise_model(namespace: dict, ran: dict) -> None:
    """The class takes the registered name; ``apply`` reports as for ours; the hooks
    are called (the expected matrix, the check of the classes)."""
    from kerasnoise import noise

    class_rates = namespace["ClassRates"]
    assert class_rates.name == "class_rates"
    rates = [0.1, 0.2, 0.3, 0.4, 0.5, 0.1, 0.2, 0.3, 0.4, 0.5]
    model = noise.get("class_rates", rates=rates)
    result = model.apply(np.arange(20000) % 10, num_classes=10, seed=0)
    assert result.model == {"name": "class_rates", "rates": rates}
    assert result.rate == pytest.approx(0.3, abs=0.02)
    expected = model.expected_transition(10)
    np.testing.assert_allclose(expected.sum(axis=1), 1.0)
    np.testing.assert_allclose(result.transition, expected, atol=0.04)
    with pytest.raises(ValueError, match="rates has 10 entries for 5 classes"):
        model.apply(np.arange(100) % 5, num_classes=5, seed=0)
    assert noise.from_config(result.model) == model


def check_method(namespace: dict, ran: dict) -> None:
    """Its rule: the mean cross-entropy of the ``1 - forget_rate`` smallest of a batch;
    it trains (``fit``) on this backend; its check names ``method.forget_rate``."""
    import keras
    from keras import ops

    from kerasnoise import config as cfg
    from kerasnoise import methods, presets

    chosen = methods.get("small_loss", forget_rate=0.25)
    assert chosen.name == "small_loss" and chosen.params == {"forget_rate": 0.25}
    keras.utils.set_random_seed(0)
    network = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3)])
    model = chosen.build_model(lambda: network, None)
    assert isinstance(model, namespace["SmallLossModel"])
    x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, -1.0]], dtype="float32")
    y = np.array([0, 1, 2, 0])
    logits = ops.convert_to_numpy(model(x))
    z = logits - logits.max(axis=1, keepdims=True)
    ce = np.log(np.exp(z).sum(axis=1)) - z[np.arange(4), y]
    got = float(ops.convert_to_numpy(model.compute_loss(x, y, model(x), training=True)))
    assert got == pytest.approx(np.sort(ce)[:3].mean(), rel=1e-5)
    model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(True))
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    bad = cfg.apply_overrides(
        presets.get("coteaching-mnist-mlp"), {"method": "small_loss", "method.forget_rate": 1.5}
    )
    with pytest.raises(ValueError, match=r"method.forget_rate must be in \[0, 1\)"):
        bad.validate_without_keras()


def check_data_set(namespace: dict, ran: dict) -> None:
    """Named by the registry; ``datasets.load`` reads ``$KERASNOISE_DATA_DIR`` (here
    ``~/data``), checks and converts the arrays and says where they came from; a
    missing file says what to put where."""
    from kerasnoise import datasets

    source = datasets.get("my_digits")
    assert type(source) is namespace["MyDigits"]
    assert source.name == source.info.name == "my_digits"
    assert datasets.get_info("my_digits").num_classes == 10
    folder = Path(os.environ["KERASNOISE_DATA_DIR"])
    data = datasets.load("my_digits")  # the folder of $KERASNOISE_DATA_DIR
    assert data.source == str(folder / "my_digits.npz")
    assert data.x_train.shape == (MY_DIGITS["train"], 28, 28, 1) and data.x_train.dtype == np.uint8
    assert data.y_test.dtype == np.int64 and data.y_test.shape == (MY_DIGITS["test"],)
    with pytest.raises(datasets.DatasetNotFoundError, match="put my_digits.npz"):
        datasets.load("my_digits", Path.cwd())


#: What each python block is checked for, after it ran, by section: ``check(its
#: namespace, {section: namespace} of the blocks that ran)``.
PYTHON_CHECKS: dict[str, Callable[[dict, dict], None]] = {
    SCRIPT: check_script,
    "A loss": check_loss,
    "A model": check_model,
    "A noise model": check_noise_model,
    "A training method": check_method,
    "A data set": check_data_set,
}


def run_python_blocks() -> None:
    """In this (fresh) interpreter, from a temporary current folder: every python block
    of the page, each in a namespace of its own, in document order, then its checks."""
    ran: dict[str, dict] = {}
    for number, found in enumerate(b for b in blocks() if b.lang == "python"):
        if found.section == SCRIPT:  # a script: imported, as its worker processes import it
            Path("my_table.py").write_text(found.code)
            namespace = vars(importlib.import_module("my_table"))
        else:
            namespace = {"__name__": f"extending_block_{number}"}
            exec(compile(found.code, f"docs/extending.md: {found.section}", "exec"), namespace)
        ran[found.section] = namespace
        PYTHON_CHECKS[found.section](namespace, ran)
        print(f"ran and checked: {found.section}", flush=True)


def test_the_python_blocks_run(home):
    work = work_folder(home, "python")
    env = plugin_environment(KERASNOISE_DATA_DIR=str(home / "data"), HOME=str(home))
    done = subprocess.run(
        [sys.executable, "-m", "tests.test_docs"],
        capture_output=True,
        text=True,
        env=env,
        cwd=work,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-5000:]
    sections = [b.section for b in blocks() if b.lang == "python"]
    assert done.stdout.count("ran and checked: ") == len(sections) == len(PYTHON_CHECKS)


# --------------------------------------------------------------------------- the package


def build_focal_package(site: Path) -> dict[str, dict[str, str]]:
    """The package of section (b), installed in ``site``; returns its entry points,
    ``{group: {name: "module:object"}}``, as the toml block declares them."""
    layout = block(PACKAGE, "").code
    (comment,) = re.findall(r"parts\.py\s+#\s*(.*)", layout)
    wanted = [name.strip() for name in re.sub(r"\(.*?\)", "", comment).split(",")]
    project = tomllib.loads(block(PACKAGE, "toml").code)["project"]
    groups = build_groups()
    targets = [target for points in groups.values() for target in points.values()]
    assert sorted(targets) == sorted(f"kerasnoise_focal.parts:{name}" for name in wanted)

    (site / "kerasnoise_focal").mkdir()
    (site / "kerasnoise_focal" / "__init__.py").write_text("")
    (site / "kerasnoise_focal" / "parts.py").write_text(parts_module(wanted))
    entry_points = "\n".join(
        f"[{group}]\n" + "".join(f"{name} = {target}\n" for name, target in points.items())
        for group, points in groups.items()
    )
    install_distribution(site, project["name"], project["version"], entry_points)
    return groups


def build_groups() -> dict[str, dict[str, str]]:
    """The entry points the toml block declares."""
    return tomllib.loads(block(PACKAGE, "toml").code)["project"]["entry-points"]


def parts_module(names: list[str]) -> str:
    """``parts.py``: the top-level definitions ``names`` of the page's python blocks and
    those they use, in document order, without their ``register`` decorators (the entry
    points register them), after the imports they use."""
    register = re.compile(r"(losses|models|noise|datasets|methods)\.register\(")
    definitions: dict[str, str] = {}  # name -> its source, without register decorators
    imports: dict[str, str] = {}  # the name an import binds -> the import
    for found in (b for b in blocks() if b.lang == "python"):
        for node in ast.parse(found.code).body:
            if isinstance(node, ast.ClassDef | ast.FunctionDef):
                decorators = [ast.get_source_segment(found.code, d) for d in node.decorator_list]
                source = [f"@{d}" for d in decorators if not register.match(d)]
                source.append(ast.get_source_segment(found.code, node))
                definitions.setdefault(node.name, "\n".join(source))
            elif isinstance(node, ast.Import | ast.ImportFrom):
                for alias in node.names:
                    bound = alias.asname or alias.name.split(".")[0]
                    named = alias.name + (f" as {alias.asname}" if alias.asname else "")
                    if isinstance(node, ast.Import):
                        imports.setdefault(bound, f"import {named}")
                    else:
                        imports.setdefault(bound, f"from {node.module} import {named}")

    def names_in(source: str) -> set[str]:
        return {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name)}

    kept, queue = set(), list(names)
    while queue:  # the named definitions and those they use (SmallLoss: SmallLossModel)
        name = queue.pop()
        if name not in kept:
            kept.add(name)
            queue += sorted(names_in(definitions[name]) & set(definitions))
    code = "\n\n\n".join(source for name, source in definitions.items() if name in kept)
    header = [imports[bound] for bound in sorted(names_in(code) & set(imports))]
    docstring = '"""The parts of docs/extending.md, as the package of section (b)."""'
    return "\n\n".join([docstring, "\n".join(header), code]) + "\n"


@pytest.fixture(scope="module")
def focal_site(tmp_path_factory) -> Path:
    """A folder with the package of section (b) installed (put it on a path to use it)."""
    site = tmp_path_factory.mktemp("site")
    build_focal_package(site)
    return site


@pytest.fixture(scope="module")
def installed(focal_site):
    """The package of section (b) installed in this process too (its module is imported
    once per process: it registers its model class with Keras)."""
    from kerasnoise import registry

    saved = [(r, dict(r._entries), dict(r._origins)) for r in registry.registries()]
    sys.path.insert(0, str(focal_site))
    importlib.invalidate_caches()
    registry.refresh()
    yield focal_site
    sys.path.remove(str(focal_site))
    importlib.invalidate_caches()
    for kind, entries, origins in saved:
        kind._entries, kind._origins = entries, origins
    registry.refresh()


# --------------------------------------------------------------------------- bash blocks

#: ``kerasnoise`` and ``python`` in the page's commands: this interpreter's.
PRELUDE = 'kerasnoise() { "$DOCS_PYTHON" -m kerasnoise.cli "$@"; }\n'
PRELUDE += 'python() { "$DOCS_PYTHON" "$@"; }\n'


def shell(command: str, env: dict, cwd: Path) -> str:
    """Run ``command`` in bash as the page writes it; its standard output."""
    done = subprocess.run(
        ["bash", "-c", PRELUDE + command],
        capture_output=True,
        text=True,
        env={**env, "DOCS_PYTHON": sys.executable},
        cwd=cwd,
        timeout=300,
    )
    assert done.returncode == 0, f"{command}\n{done.stdout[-2000:]}{done.stderr[-5000:]}"
    return done.stdout


def validate(command: str, out: Path) -> None:
    """Parse a long command of the page as its program does and check every config it
    would train, in this process (the package of (b) installed)."""
    from kerasnoise import cli, presets
    from kerasnoise import config as cfg

    argv = shlex.split(command)
    if argv[:2] == ["kerasnoise", "train"]:
        args = cli.build_parser().parse_args(argv[1:])
        overrides = cfg.parse_overrides(args.overrides)
        config = cfg.apply_overrides(presets.get(args.preset), overrides)
        config.data_dir = args.data_dir or config.data_dir  # as `kerasnoise train` does
        config.validate()  # names (plug-ins imported), parameters, the method's check
    elif argv[:3] == ["python", "-m", "experiments.menon_mnist"]:
        from experiments import menon_mnist
        from kerasnoise import tables

        plan = argv[3:] + ["--report-only", "--out", str(out), "--no-progress"]
        assert tables.main(menon_mnist.EXPERIMENT, plan) == 0
    else:
        raise AssertionError(f"{command!r}: no way to validate it here")


def test_the_package_of_section_b_and_its_commands(installed, home):
    work = work_folder(home, "bash")
    env = plugin_environment(installed, HOME=str(home))
    ran = []
    for command, comment in commands(block(PACKAGE, "bash").code):
        key, way = how(command)
        if way == VALIDATE:
            validate(command, work / "validated")
            continue
        if way == SMALL:
            command = re.sub(r"^(kerasnoise train \S+)", rf"\1 {SMALL_OVERRIDES}", command)
            command += " --verbose 0"
        output = shell(command, env, work)
        if comment.startswith("..."):  # the output the page shows
            assert comment.strip(". ") in output
        ran.append((key, output))
    assert [key for key, _ in ran] == [
        "kerasnoise presets",
        "kerasnoise train menon-mnist-lenet loss=focal",
        "kerasnoise eval",
    ]

    listed = ran[0][1]  # every plug-in of the package, by its entry point
    for group, points in build_groups().items():
        for name, target in points.items():
            assert f"plug-in {name}: entry point {name} = {target} in group {group}" in listed

    (run_dir,) = [p for p in (work / "runs" / "focal").iterdir() if p.is_dir()]
    config = json.loads((run_dir / "config.json").read_text())
    assert config["loss"] == {"name": "focal", "gamma": 1}
    assert config["model"] == {"name": "small_cnn"} and config["dataset"] == "my_digits"
    assert config["noise"]["name"] == "class_rates" and config["epochs"] == 1
    record = json.loads((run_dir / "result.json").read_text())
    assert record["status"] == "finished"  # one epoch of 10 steps: no accuracy to speak of
    printed = dict(line.split(maxsplit=1) for line in ran[2][1].splitlines() if line.strip())
    accuracy = record["test_accuracy_final_model"]
    assert float(printed["accuracy"]) == pytest.approx(accuracy, abs=1e-9)
    assert accuracy * MY_DIGITS["test"] == pytest.approx(round(accuracy * MY_DIGITS["test"]))


def test_the_commands_of_the_contracts_validate(installed, tmp_path):
    for section in ("A training method", "A data set"):
        for command, _ in commands(block(section, "bash").code):
            assert how(command)[1] == VALIDATE
            validate(command, tmp_path)


if __name__ == "__main__":  # the fresh interpreter of test_the_python_blocks_run
    run_python_blocks()
