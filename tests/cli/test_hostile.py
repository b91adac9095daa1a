"""Every command, hostile arguments: one clear line, exit 1 or 2, no traceback, nothing written.

The commands are read from the typer app, so a new command without hostile cases fails
`test_every_command_has_hostile_cases`. All cases share one initialised working folder (its tables
counted before and after each case); none reaches a Prefect flow: input is refused before Prefect starts.
The cases run `cli.app.main` in this process (a subprocess each would take minutes on two cores): an
exception escaping it is the traceback a user would see. A sample runs the real command too.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer

from cli.app import app, main

from ..commands import run
from .conftest import MARKUP, awaiting_board, counts

CONTROL = "\x1b[2J\rx"
HUGE = "9" * 5000
MISSING = "no/such/file.yaml"
# Names in the working folder (made by the fixture): a folder with a file that is no proposal, an empty
# folder, a symlink loop, a file of garbage, a plain file used where a folder is wanted.
GARBAGE_DIR, EMPTY_DIR, LOOP, GARBAGE, A_FILE = "garbage-dir", "empty-dir", "loop", "garbage.yaml", "a-file"

Case = tuple[str, ...] | tuple[tuple[str, ...], dict[str, str]]

HOSTILE: dict[tuple[str, ...], list[Case]] = {
    ("agenda",): [(MARKUP,), ((), {"GOVERNANCE_CLOCK_START": "yesterday"}), ((), {"GOVERNANCE_CHUNK_SIZE": HUGE})],
    ("condition", "close"): [
        ("C-2099-9999-G1-1", "--note", MARKUP),
        (CONTROL, "--note", CONTROL),
        (HUGE, "--note", "x"),
    ],
    ("analytics",): [("--since", "2027-02-30"), ("--gate", HUGE), ("--gate", MARKUP), ("--since", CONTROL)],
    ("benefits",): [(MARKUP,), (CONTROL,), (HUGE,), ("P-2099-9999",), ("P-2026-0001",)],
    ("benefits-review",): [(MISSING,), (GARBAGE_DIR,), (LOOP,), (GARBAGE,), (EMPTY_DIR,), (A_FILE,)],
    ("decide",): [
        ("P-2099-9999", "--gate", "1", "--outcome", "go", "--rationale", MARKUP, "--vote", "ana=go"),
        ("P-2026-0001", "--gate", HUGE, "--outcome", "go", "--rationale", "x"),
        ("P-2026-0001", "--gate", "1", "--outcome", MARKUP, "--rationale", "x"),
        ("P-2026-0001", "--gate", "1", "--outcome", "go", "--rationale", "x", "--meeting-date", "2027-02-30"),
        ("P-2026-0001", "--gate", "1", "--outcome", "go", "--rationale", "x", "--vote", "ana:go"),
        (
            "P-2026-0001",
            "--gate",
            "1",
            "--outcome",
            "conditional-go",
            "--rationale",
            CONTROL,
            "--vote",
            "ana=conditional-go",
            "--vote",
            "raj=conditional-go",
            "--vote",
            "lee=conditional-go",
            "--condition",
            f"{MARKUP} by yesterday, owner: {CONTROL}",
        ),
        (
            "P-2026-0001",
            "--gate",
            "1",
            "--outcome",
            "go",
            "--rationale",
            "x",
            "--vote",
            f"{MARKUP}=go",
            "--vote",
            f"{CONTROL}=go",
            "--conflict",
            MARKUP,
            "--by",
            CONTROL,
        ),
        ("--quarter", "2026Q5", "--rationale", "x"),
        ("--quarter", "2026Q4", "--rationale", "x", "--override", f"{MARKUP}=stop: {CONTROL}", "--vote", "ana=go"),
        ("P-2026-0001", "--gate", "1", "--outcome", "go", "--rationale", "x", "--signature", f"ana={CONTROL}"),
    ],
    ("demo",): [("--folder", A_FILE), ("--folder", LOOP)],
    ("export",): [
        ("--since", "2027-02-30"),
        ("--until", "yesterday"),
        ("-o", EMPTY_DIR),
        ("-o", f"{MISSING}.jsonl"),
        ("-o", LOOP),
        ("-o", f"{A_FILE}/x.jsonl"),
        ("--format", "xlsx"),
        ("--format", "xlsx", "-o", EMPTY_DIR),
        ("--format", "xlsx", "-o", "x.xlsx", "--since", "2026-01-01"),
    ],
    ("gate",): [("P-2099-9999",), (MARKUP,), (CONTROL,), ("P-2026-0002",), (), ("--all", "P-2026-0001")],
    ("import", "projects"): [(MISSING,), (GARBAGE_DIR,), (LOOP,), (GARBAGE,)],
    ("import", "status"): [
        (MISSING, "--map", MISSING),
        (GARBAGE, "--map", GARBAGE),
        (LOOP, "--map", LOOP),
        (GARBAGE_DIR, "--map", GARBAGE_DIR),
        (A_FILE,),
        (f"{MISSING}.xml",),
        (f"{MISSING}.xml", "--project", MARKUP, "--risk", "low"),
        (GARBAGE, "--map", A_FILE, "--quarter", "2026Q5"),
        (f"{MISSING}.xml", "--project", "P-2026-0001", "--as-of", "2027-02-30"),
    ],
    ("init",): [("--policy", MISSING), ("--policy", GARBAGE_DIR), ("--policy", LOOP), ("--policy", GARBAGE)],
    ("keys", "init"): [((), {"GOVERNANCE_HOME": A_FILE}), ((), {"GOVERNANCE_HOME": LOOP})],
    ("keys", "ledger"): [
        ((), {"GOVERNANCE_LEDGER_KEY_FILE": EMPTY_DIR}),
        ((), {"GOVERNANCE_LEDGER_KEY_FILE": f"{A_FILE}/ledger.key"}),
        ((), {"GOVERNANCE_LEDGER_KEY_FILE": LOOP}),
    ],
    ("keys", "seal"): [
        ((), {"GOVERNANCE_LEDGER_KEY": "zz"}),
        ((), {"GOVERNANCE_LEDGER_KEY_FILE": LOOP}),
        ((), {"GOVERNANCE_LEDGER_KEY_FILE": EMPTY_DIR}),
    ],
    ("list",): [("--state", "rejected"), ("--bucket", MARKUP), ("--bucket", CONTROL), ("--state", HUGE)],
    ("pack", "analytics"): [("--since", "2027-02-30"), ("--gate", HUGE), ("-o", A_FILE), ("-o", LOOP)],
    ("pack", "audit"): [
        ("--since", "2027-02-30", "--until", "2026-12-31"),
        ("--since", "2026-01-01", "--until", "2026-12-31", "-o", A_FILE),
        ("--since", "2026-01-01", "--until", "2026-12-31", "-o", LOOP),
    ],
    ("pack", "gate"): [("P-2099-9999",), (MARKUP, "--gate", HUGE), ("P-2026-0001", "-o", A_FILE)],
    ("pack", "counterfactual"): [(MISSING,), (LOOP,), (GARBAGE,), (MARKUP,), (GARBAGE_DIR,)],
    ("pack", "quarter"): [("2026Q5",), (HUGE,), ("2026Q4", "-o", LOOP), (CONTROL,)],
    ("pack", "scenarios"): [(MARKUP, CONTROL), ("one",), ("nope", "other", "-o", A_FILE)],
    ("policy", "check"): [(MISSING,), (GARBAGE_DIR,), (LOOP,), (GARBAGE,), (MARKUP,)],
    ("replay",): [(HUGE,), ("P-2099-9999",), (MARKUP,), ("Q-2026Q5",), ("-1",)],
    ("review",): [
        ("--quarter", "2026Q5"),
        ("--quarter", "2026Q4", "--reports", MISSING),
        ("--quarter", "2026Q4", "--reports", LOOP),
        ("--quarter", "2026Q4", "--reports", GARBAGE_DIR),
    ],
    ("risk",): [("--quarter", "2026Q5"), ("--selection", HUGE), ("--project", MARKUP), ("--trials", "5")],
    ("scenario", "commit"): [
        (MARKUP, "--rationale", "x"),
        ("nope", "--rationale", CONTROL, "--vote", f"{CONTROL}=accept"),
        (HUGE, "--rationale", "x", "--vote", "ana:accept"),
    ],
    ("scenario", "compare"): [(MARKUP, CONTROL), ("one",), ("nope", "other"), ("twice", "twice")],
    ("scenario", "create"): [
        (MARKUP,),
        (HUGE,),
        ("x", "--budget", f"FY2027={HUGE}"),
        ("x", "--bucket", "growth=a:b"),
        ("x", "--force-in", MARKUP, "--force-out", CONTROL),
        ("x", "--value", MARKUP),
        ("x", "--weight", f"{MARKUP}={HUGE}"),
        ("x", "--weight", CONTROL),
        ("x", "--policy", MISSING),
        ("x", "--policy", LOOP),
        ("x", "--policy", GARBAGE),
    ],
    ("scenario", "delete"): [(MARKUP,), ("nope",), (CONTROL,)],
    ("scenario", "list"): [(MARKUP,)],
    ("scenario", "show"): [(CONTROL,), ("nope",), (HUGE,)],
    ("schema",): [(MARKUP,), ("record",), ("record", CONTROL), ("proposal", "decided")],
    ("score",): [(MISSING,), (GARBAGE_DIR,), (LOOP,), (GARBAGE,)],
    ("select",): [
        ("--candidates", MISSING),
        ("--candidates", GARBAGE_DIR),
        ("--candidates", LOOP),
        ("--budget", f"FY2027={HUGE}"),
        ("--budget", "FY2027=1e999999"),
        ("--bucket", f"{MARKUP}=0.1:0.2"),
        ("--bucket", "growth=a:b"),
    ],
    ("server", "start"): [("--port", "0"), ("--port", HUGE)],
    ("server", "status"): [(MARKUP,)],
    ("server", "stop"): [(CONTROL,)],
    ("show",): [("P-2099-9999",), (MARKUP,), (CONTROL,), (HUGE,)],
    ("sign",): [
        (MISSING, "--key", MISSING),
        (GARBAGE_DIR, "--key", GARBAGE),
        (LOOP, "--key", LOOP),
        ("--new-key", EMPTY_DIR),
        ("--new-key", f"{A_FILE}/x.pem"),
        ("--new-key", LOOP),
    ],
    ("submit",): [(MISSING,), (GARBAGE_DIR,), (LOOP,), (GARBAGE,), (EMPTY_DIR,)],
    ("supersede",): [
        ("P-2099-9999", "--gate", "1", "--rationale", MARKUP),
        ("P-2026-0001", "--gate", HUGE, "--rationale", "x"),
        (CONTROL, "--gate", "1", "--rationale", CONTROL),
    ],
    ("verify",): [("--expect-head", "1:zz"), ("--expect-head", f"{HUGE}:{'a' * 64}")],
    ("verify-pack",): [(MISSING,), (EMPTY_DIR,), (LOOP,), (GARBAGE,)],
    ("withdraw",): [("P-2099-9999", "--reason", "x"), (MARKUP, "--reason", MARKUP), ("P-2026-0001", "--reason", " ")],
}


def _commands(group: typer.core.TyperGroup, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in sorted(group.commands.items()):
        if isinstance(command, typer.core.TyperGroup):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name)


_ROOT = typer.main.get_command(app)
assert isinstance(_ROOT, typer.core.TyperGroup)
COMMANDS = list(_commands(_ROOT))


def test_every_command_has_hostile_cases() -> None:
    assert sorted(HOSTILE) == COMMANDS


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The board's folder (see tests/cli/conftest.py) and the hostile files."""
    folder = awaiting_board(tmp_path_factory.mktemp("hostile"))
    (folder / GARBAGE_DIR).mkdir()
    (folder / GARBAGE_DIR / "x.yaml").write_text("{[: not yaml\n", encoding="utf-8")
    (folder / EMPTY_DIR).mkdir()
    (folder / LOOP).symlink_to(folder / LOOP)
    (folder / GARBAGE).write_bytes(b"\x00\xff garbage\n")
    (folder / A_FILE).write_text("a file\n", encoding="utf-8")
    return folder


def _case(case: Case) -> tuple[tuple[str, ...], dict[str, str]]:
    if len(case) == 2 and isinstance(case[1], dict):
        args, env = case
        assert isinstance(args, tuple)
        return args, env
    return tuple(str(a) for a in case), {}


def _invoke(folder: Path, argv: tuple[str, ...], env: dict[str, str]) -> tuple[int, str, str]:
    """`governance ARGV` in `folder` as `tests.commands.run` sets it up, in this process: (exit, stdout, stderr).

    The environment and the working folder are put back afterwards, whatever the command changed.
    """
    saved_env, saved_cwd, saved_argv = dict(os.environ), Path.cwd(), sys.argv
    os.environ.clear()
    os.environ.update({k: v for k, v in saved_env.items() if not k.startswith(("GOVERNANCE_", "PREFECT_"))})
    os.environ.update({"COLUMNS": "200", "GOVERNANCE_CLOCK_START": "2026-11-23T09:00:00Z", "GOVERNANCE_ID_SEED": "cli"})
    os.environ.update(env)
    stdout, stderr = io.StringIO(), io.StringIO()
    code: int | str | None = 0
    try:
        os.chdir(folder)
        sys.argv = ["governance", *argv]
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            main()
    except SystemExit as exit_:
        code = exit_.code
    except Exception as exc:  # noqa: BLE001 - what escapes main() is the traceback a user would see
        code, stderr = 99, io.StringIO(f"Traceback (escaped main): {type(exc).__name__}: {exc}")
    finally:
        os.chdir(saved_cwd)
        sys.argv = saved_argv
        os.environ.clear()
        os.environ.update(saved_env)
    return (code if isinstance(code, int) else 1), stdout.getvalue(), stderr.getvalue()


def _problem(folder: Path, command: tuple[str, ...], case: Case, result: tuple[int, str, str]) -> str | None:
    args, env = _case(case)
    code, stdout, stderr = result
    shown = f"{' '.join(command)} {' '.join(a[:40] for a in args)!r} {env and {k: v[:40] for k, v in env.items()}}"
    if "Traceback" in stderr or code not in (1, 2):
        return f"{shown}: exit {code}\n{stdout[-800:]}{stderr[-1500:]}"
    if "\x1b" in stdout + stderr:
        return f"{shown}: a raw escape character reached the terminal:\n{stderr!r}"
    if code == 1 and not stderr.startswith("error["):
        return f"{shown}: exit 1 without an error[code] line:\n{stderr}"
    if code == 1 and len(stderr.splitlines()) != 1 + stderr.count("\n  "):
        return f"{shown}: more than one error line:\n{stderr}"
    return None


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_hostile_arguments_are_one_line_exit_1_or_2_and_write_nothing(folder: Path, command: tuple[str, ...]) -> None:
    failures = []
    for case in HOSTILE.get(command, []):
        args, env = _case(case)
        before = counts(folder)
        failure = _problem(folder, command, case, _invoke(folder, (*command, *args), env))
        if failure is None and counts(folder) != before:
            failure = f"{' '.join(command)} {args!r}: the database changed: {before} -> {counts(folder)}"
        if failure is not None:
            failures.append(failure)
    assert not failures, "\n\n".join(failures)


SAMPLE = [("show", MARKUP), ("list", "--state", "rejected"), ("export", "-o", EMPTY_DIR), ("replay", HUGE)]


@pytest.mark.parametrize("argv", SAMPLE, ids=lambda a: a[0])
def test_the_real_command_agrees(folder: Path, argv: tuple[str, ...]) -> None:
    """The same refusal from the installed `governance` in its own process as from `main` here (typer's
    error box may be laid out at another width here: its words are compared)."""
    result = run(folder, *argv)
    code, stdout, stderr = _invoke(folder, argv, {})
    assert "Traceback" not in result.stderr

    def words(text: str) -> list[str]:  # click names the program `python -m pytest.governance` in here
        return "".join(c for c in text.replace("python -m pytest.", "") if c not in "│╭╮╰╯─").split()

    assert (result.returncode, result.stdout, words(result.stderr)) == (code, stdout, words(stderr))
