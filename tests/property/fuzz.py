"""The long fuzz run: the property tests' inputs, many more of them, driven from random bytes.

    .venv/bin/python -m tests.property.fuzz --format files --inputs 1000000
    .venv/bin/python -m tests.property.fuzz --format proposal --format policy --seconds 1800

Each input is drawn by the same strategies as tests/property/test_formats.py (Hypothesis's
`fuzz_one_input`, fed seeded random bytes, so a run can be repeated) and checked the same way. The
format `files` is the reading every format shares (parsing and CSV, `governance.sources.read_records`,
which must never raise at all) on the bundled files of every format edited character by character: the
cheapest input, so the one run a million times. Prints one JSON line per format; an input that raised something else is
written to --crashes (default fuzz-crashes/) to be replayed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from governance.sources import SubmittedFile, read_records

from .formats import FORMATS, Format, check
from .strategies import mangled_text
from .test_formats import inputs


def _files_target() -> tuple[st.SearchStrategy[tuple[str, str, str]], Callable[[Path, str, str], str]]:
    seeds = [seed for f in FORMATS.values() for seed in f.seeds]
    edited = st.sampled_from(seeds).flatmap(lambda seed: mangled_text(seed[1]).map(lambda t: ("edited", seed[0], t)))

    def read(folder: Path, suffix: str, text: str) -> str:
        _, problems = read_records(SubmittedFile(f"input{suffix}", text))
        return "refused" if problems else "accepted"

    return edited, read


def _target(name: str) -> tuple[st.SearchStrategy[tuple[str, str, str]], Callable[[Path, str, str], str]]:
    if name == "files":
        return _files_target()
    fmt: Format = FORMATS[name]
    return inputs(fmt), lambda folder, suffix, text: check(fmt, folder, suffix, text)


def run(name: str, count: int, seconds: float, seed: int, crashes: Path, progress: int = 0) -> dict[str, object]:
    strategy, target = _target(name)
    folder = Path(tempfile.mkdtemp(prefix=f"fuzz-{name}-"))
    outcomes: Counter[str] = Counter()

    @settings(database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def one(case: tuple[str, str, str]) -> None:
        _, suffix, text = case
        try:
            outcomes[target(folder, suffix, text)] += 1
        except Exception:  # noqa: BLE001 - anything but the engine's own errors is what this run looks for
            outcomes["other-exception"] += 1
            crashes.mkdir(parents=True, exist_ok=True)
            stem = crashes / f"{name}-{sum(outcomes.values()):07d}"
            stem.with_suffix(suffix).write_text(text, encoding="utf-8", errors="surrogatepass")
            stem.with_suffix(".txt").write_text(traceback.format_exc(), encoding="utf-8")

    rng = random.Random(seed)
    start = time.monotonic()
    done = 0
    while done < count and time.monotonic() - start < seconds:
        one.hypothesis.fuzz_one_input(rng.randbytes(4096))  # type: ignore[attr-defined]
        done += 1
        if progress and done % progress == 0:
            print(json.dumps(_report(name, done, outcomes, time.monotonic() - start, seed)), flush=True)
    return _report(name, done, outcomes, time.monotonic() - start, seed)


def _report(name: str, done: int, outcomes: Counter[str], elapsed: float, seed: int) -> dict[str, object]:
    return {
        "format": name,
        "inputs": done,
        **dict(sorted(outcomes.items())),
        "other-exception": outcomes["other-exception"],
        "seconds": round(elapsed, 1),
        "inputs_per_second": round(done / elapsed, 1) if elapsed else None,
        "seed": seed,
        "load": os.getloadavg()[0],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.property.fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--format", action="append", choices=["files", *FORMATS], help="repeatable; default all")
    parser.add_argument("--inputs", type=int, default=1_000_000, help="inputs per format")
    parser.add_argument("--seconds", type=float, default=float("inf"), help="time limit per format")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--crashes", type=Path, default=Path("fuzz-crashes"))
    parser.add_argument("--progress", type=int, default=0, help="print the counts every N inputs")
    args = parser.parse_args(argv)
    failed = 0
    for name in args.format or ["files", *FORMATS]:
        report = run(name, args.inputs, args.seconds, args.seed, args.crashes, args.progress)
        print(json.dumps(report), flush=True)
        failed += int(report["other-exception"])  # type: ignore[call-overload]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
