"""`make bench`: model, preprocessing, HTTP and footprint numbers in one run; a table and a JSON file.

    .venv/bin/python -m benchmarks.run [--seconds 10] [--no-seed] [--output bench-results/latest.json]

Every number comes from this machine, now: run it when nothing else is using the CPU (the load
average is recorded beside the results).
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.canvases import canvas_pngs, mnist_test_digits, request_body
from benchmarks.environment import ROOT, served_model_path
from benchmarks.http_load import measure_http
from benchmarks.model_latency import measure_model
from benchmarks.numbers_latency import measure_numbers
from benchmarks.preprocessing_latency import measure_preprocessing
from benchmarks.report import render, targets
from recognizer.litert import LiteRTModel

SECTIONS = ("model", "preprocessing", "numbers", "server", "http")


def cpu_model():
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def load_average():
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def git_commit():
    try:
        described = subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return described.stdout.strip()


def measure_server_time():
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.read_latency"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def step(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="load time per concurrency level")
    parser.add_argument("--digits", type=int, default=300, help="MNIST test digits drawn as request bodies")
    parser.add_argument("--no-seed", action="store_true", help="skip the seed-style baseline server")
    parser.add_argument(
        "--only", action="append", choices=SECTIONS, help="run only this section (repeatable)"
    )
    parser.add_argument("--output", type=Path, default=ROOT / "bench-results" / "latest.json")
    args = parser.parse_args(argv)
    args.output.parent.mkdir(parents=True, exist_ok=True)

    results = {
        "machine": {
            "cpus": os.cpu_count(),
            "cpu_model": cpu_model(),
            "load_average_before": load_average(),
            "python": platform.python_version(),
            "model_version": LiteRTModel.from_file(served_model_path()).version,
            "commit": git_commit(),
            "started_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        }
    }
    step(f"Drawing {args.digits} MNIST test digits as 280×280 canvas PNGs")
    digits, labels = mnist_test_digits(args.digits)
    pngs = canvas_pngs(digits)
    sections = args.only or SECTIONS
    if "model" in sections:
        step("Model: LiteRT, then Keras in a child process")
        results["model"] = measure_model()
    if "preprocessing" in sections:
        step("Preprocessing")
        results["preprocessing"] = measure_preprocessing(pngs * 3)
    if "numbers" in sections:
        step("Numbers: find_marks + model on one digit and on 8-digit numbers")
        number_digits, number_labels = mnist_test_digits(2000)
        results["numbers"] = measure_numbers(pngs, number_digits, number_labels)
    if "server" in sections:
        step("Server time: POST /api/read and /api/predict in-process (CPU), in a child process")
        results["server"] = measure_server_time()
    if "http" in sections:
        step(
            f"HTTP: gunicorn, {args.seconds:g} s per concurrency level"
            + ("" if args.no_seed else ", then the seed")
        )
        results["http"] = measure_http(
            [request_body(png) for png in pngs],
            labels,
            seconds=args.seconds,
            log_dir=args.output.parent,
            seed=not args.no_seed,
        )
    results["machine"]["load_average_after"] = load_average()
    results["targets"] = [
        {"what": what, "measured": measured, "target": target, "met": met}
        for what, measured, target, met in targets(results)
    ]

    text = render(results)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    args.output.with_suffix(".txt").write_text(text + "\n")
    print()
    print(text)
    print(f"\nWritten to {args.output} and {args.output.with_suffix('.txt')}")


if __name__ == "__main__":
    main()
