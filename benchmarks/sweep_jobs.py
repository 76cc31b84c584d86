"""Sweep throughput on this machine: runs per hour with ``--jobs 1`` (one process, all
cores) and ``--jobs 2`` (two single-threaded worker processes side by side), and the
wall time of one Menon-protocol run beside the plain PyTorch loop, all in one
invocation.

    python -m benchmarks.sweep_jobs --data-dir ../shared/data [--epochs 2] [--out DIR]

The sweep is the real command, ``python -m experiments.menon_mnist`` (CE and GCE at
rho 0.2 and 0.6: 4 runs of LeNet-5, batch 32, full MNIST, ``--epochs`` epochs), each
setting in a fresh process and a fresh output folder, timed from start to exit.
The reference is ``benchmarks.throughput``'s PyTorch loop with the Menon protocol
(Adam, L2, decay, batch 32, test accuracy after every epoch), also in a fresh process.
Results: ``<out>/sweep_jobs.json`` and ``.md``.  No test asserts on them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from kerasnoise._io import atomic_write_json, atomic_write_text

SUBSET = ["--methods", "ce,gce", "--rates", "0.2,0.6", "--seeds", "0"]


def time_sweep(jobs: int, data_dir: str, epochs: int, backend: str) -> dict:
    with tempfile.TemporaryDirectory() as out:
        cmd = [
            sys.executable,
            "-m",
            "experiments.menon_mnist",
            *SUBSET,
            "--jobs",
            str(jobs),
            "--data-dir",
            data_dir,
            "--out",
            out,
            "--no-progress",
            f"epochs={epochs}",
        ]
        start = time.perf_counter()
        subprocess.run(
            cmd, check=True, capture_output=True, env=os.environ | {"KERAS_BACKEND": backend}
        )
        seconds = time.perf_counter() - start
        walls = [json.loads(p.read_text())["wall_time_s"] for p in Path(out).glob("*/result.json")]
    return {
        "jobs": jobs,
        "runs": len(walls),
        "seconds": seconds,
        "runs_per_hour": 3600 * len(walls) / seconds,
        "run_wall_time_s": sorted(walls),
    }


def time_reference(data_dir: str, epochs: int) -> dict:
    code = (
        "import json, sys, time\n"
        "start = time.perf_counter()\n"
        "from benchmarks.throughput import run_reference\n"
        f"row = run_reference('lenet5', {data_dir!r}, {epochs}, None, batch=32, protocol='menon')\n"
        "row['wall_s'] = time.perf_counter() - start\n"
        "print('RESULT ' + json.dumps(row))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    line = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    return json.loads(line.removeprefix("RESULT "))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("KERASNOISE_DATA_DIR"))
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--backend", default=os.environ.get("KERAS_BACKEND", "tensorflow"))
    parser.add_argument("--out", default="benchmarks/results")
    args = parser.parse_args(argv)
    if not args.data_dir:
        parser.error("--data-dir (or $KERASNOISE_DATA_DIR) is required")
    rows = {
        "jobs_1": time_sweep(1, args.data_dir, args.epochs, args.backend),
        "jobs_2": time_sweep(2, args.data_dir, args.epochs, args.backend),
        "reference": time_reference(args.data_dir, args.epochs),
    }
    ours = sum(rows["jobs_1"]["run_wall_time_s"]) / len(rows["jobs_1"]["run_wall_time_s"])
    summary = {
        "date": str(date.today()),
        "backend": args.backend,
        "epochs": args.epochs,
        "cpus": os.cpu_count(),
        **rows,
        "jobs_2_over_jobs_1": rows["jobs_2"]["runs_per_hour"] / rows["jobs_1"]["runs_per_hour"],
        "run_wall_over_reference": ours / rows["reference"]["wall_s"],
    }
    out = Path(args.out)
    atomic_write_json(out / "sweep_jobs.json", summary)
    md = (
        "| setting | runs | seconds | runs/hour |\n|---|---|---|---|\n"
        + "".join(
            f"| --jobs {rows[k]['jobs']} | {rows[k]['runs']} | {rows[k]['seconds']:.0f} | "
            f"{rows[k]['runs_per_hour']:.1f} |\n"
            for k in ("jobs_1", "jobs_2")
        )
        + f"\njobs 2 / jobs 1: {summary['jobs_2_over_jobs_1']:.2f}. One run ({args.epochs} "
        f"epochs, {args.backend}): {ours:.1f} s in the run record (training and per-epoch "
        f"evaluation) vs the plain PyTorch loop's {rows['reference']['wall_s']:.1f} s "
        f"(process start to end, test accuracy {rows['reference']['test_accuracy']:.4f}): "
        f"{summary['run_wall_over_reference']:.2f}x.\n"
    )
    atomic_write_text(out / "sweep_jobs.md", md)
    print(md)


if __name__ == "__main__":
    main()
