"""The command as a whole: every registered command's help, bad usage (exit 2), one-line errors (exit 1)."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cli.app import app

from ..commands import run
from ..conftest import ROOT


def _commands(group: typer.core.TyperGroup, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, typer.core.TyperGroup):
            found += _commands(command, (*path, name))
        else:
            found.append((*path, name))
    return found


ROOT_GROUP = typer.main.get_command(app)
assert isinstance(ROOT_GROUP, typer.core.TyperGroup)
COMMANDS = _commands(ROOT_GROUP)


def test_the_registered_commands_are_the_documented_ones() -> None:
    assert COMMANDS == [
        ("agenda",),
        ("analytics",),
        ("benefits",),
        ("benefits-review",),
        ("condition", "close"),
        ("decide",),
        ("demo",),
        ("export",),
        ("gate",),
        ("import", "projects"),
        ("import", "status"),
        ("init",),
        ("keys", "init"),
        ("keys", "ledger"),
        ("keys", "seal"),
        ("list",),
        ("pack", "analytics"),
        ("pack", "audit"),
        ("pack", "counterfactual"),
        ("pack", "gate"),
        ("pack", "quarter"),
        ("pack", "scenarios"),
        ("policy", "check"),
        ("replay",),
        ("review",),
        ("risk",),
        ("scenario", "commit"),
        ("scenario", "compare"),
        ("scenario", "create"),
        ("scenario", "delete"),
        ("scenario", "list"),
        ("scenario", "show"),
        ("schema",),
        ("score",),
        ("select",),
        ("server", "start"),
        ("server", "status"),
        ("server", "stop"),
        ("show",),
        ("sign",),
        ("submit",),
        ("supersede",),
        ("verify",),
        ("verify-pack",),
        ("withdraw",),
    ]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help_with_an_example(command: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert f"Example: governance {' '.join(command)}" in result.output


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_an_unknown_option_is_bad_usage(command: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*command, "--no-such-option"], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert "No such option: --no-such-option" in result.output


def _box(*lines: str) -> list[str]:
    """Typer's error box at 80 columns."""
    return ["╭─ Error " + "─" * 70 + "╮", *(f"│ {line:<76} │" for line in lines), "╰" + "─" * 78 + "╯"]


BAD_USAGE = [
    (
        ("decide", "P-2026-0001", "--gate", "1", "--outcome", "maybe", "--by", "ana", "--rationale", "x"),
        "decide [OPTIONS] [proposal]",
        ["Invalid value for '--outcome': 'maybe' is not one of go, conditional-go,", "hold, recycle, kill"],
    ),
    (
        ("decide", "--quarter", "2026Q5", "--by", "ana", "--rationale", "x"),
        "decide [OPTIONS] [proposal]",
        ["Invalid value for '--quarter': '2026Q5': expected a quarter like 2026Q4"],
    ),
    (
        ("decide", "--quarter", "2026Q4", "--gate", "1", "--by", "ana", "--rationale", "x"),
        "decide [OPTIONS] [proposal]",
        [
            "Invalid value for '--quarter': answers a quarterly review: give no PROPOSAL,",
            "--gate, --outcome, --condition, --conflict or --signature",
        ],
    ),
    (
        ("decide", "P-2026-0001", "--by", "ana", "--rationale", "x"),
        "decide [OPTIONS] [proposal]",
        [
            "Invalid value for 'PROPOSAL', '--gate', '--outcome': a gate decision needs",
            "all three (or --quarter for a quarterly review)",
        ],
    ),
    (
        ("decide", "P-2026-0001", "--gate", "0", "--outcome", "go", "--by", "ana", "--rationale", "x"),
        "decide [OPTIONS] [proposal]",
        ["Invalid value for '--gate': Input should be greater than or equal to 1"],
    ),
    (
        ("decide", "P-2026-0001", "--gate", "1", "--outcome", "go", "--override", "x", "--by", "a", "--rationale", "x"),
        "decide [OPTIONS] [proposal]",
        ["Invalid value for '--override': belongs to a quarterly review (--quarter)"],
    ),
    (
        ("decide", "P-2026-0001", "--gate", "1", "--outcome", "go", "--meeting-date", "2026-13-01"),
        "decide [OPTIONS] [proposal]",
        ["Invalid value for '--meeting-date': Value error, '2026-13-01' does not match", "the formats '%Y-%m-%d'."],
    ),
    (
        ("schema", "budget"),
        "schema [OPTIONS] {kind} [RECORD_KIND]",
        [
            "Invalid value for 'kind': 'budget' is not one of proposal, policy,",
            "assessment, status-report, project, candidates, record",
        ],
    ),
    (
        ("verify", "--expect-head", "12"),
        "verify [OPTIONS]",
        [
            "Invalid value for '--expect-head': must be SEQ:HASH, the hash whole or its",
            "first 12 or more hex digits (as screens show it), got '12'",
        ],
    ),
    (
        ("export", "--format", "xml"),
        "export [OPTIONS]",
        ["Invalid value for '--format': 'xml' is not one of jsonl, csv, xlsx"],
    ),
    (
        ("select", "--budget", "FY2027"),
        "select [OPTIONS]",
        ["Invalid value for '--budget': 'FY2027': expected PERIOD=AMOUNT, like", "FY2027=40000000"],
    ),
    (
        ("select", "--bucket", "growth"),
        "select [OPTIONS]",
        ["Invalid value for '--bucket': 'growth': expected BUCKET=MIN:MAX shares, like", "growth=0.2:0.5"],
    ),
    (
        ("select", "--value", "roi"),
        "select [OPTIONS]",
        ["Invalid value for '--value': 'roi' is not one of score, ecv, npv"],
    ),
    (
        ("replay",),
        "replay [OPTIONS] [target]",
        ["Invalid value for 'TARGET' / '--all': give one proposal, quarter or record", "number, or --all"],
    ),
    (
        ("pack", "audit", "--since", "yesterday", "--until", "2026-12-31"),
        "pack audit [OPTIONS]",
        ["Invalid value for '--since': Value error, 'yesterday' does not match the", "formats '%Y-%m-%d'."],
    ),
    (
        ("review", "--quarter", "2026-Q4"),
        "review [OPTIONS]",
        ["Invalid value for '--quarter': '2026-Q4': expected a quarter like 2026Q4"],
    ),
]


@pytest.mark.parametrize(("args", "usage", "box"), BAD_USAGE, ids=[" ".join(a[:2]) for a, _, _ in BAD_USAGE])
def test_bad_usage_exits_2_with_typers_message(
    workdir: Path, args: tuple[str, ...], usage: str, box: list[str]
) -> None:
    result = run(workdir, *args, env={"COLUMNS": "80"})
    command = usage.split(" [")[0].split(" {")[0]
    assert (result.returncode, result.stdout, result.stderr.splitlines()) == (
        2,
        "",
        [f"Usage: governance {usage}", f"Try 'governance {command} --help' for help.", *_box(*box)],
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("show", "P-2026-0999"),
            "error[not-found]: no proposal 'P-2026-0999' (give its id, like P-2026-0001, or its reference)",
        ),
        (
            ("withdraw", "NW-NOPE", "--reason", "x"),
            "error[not-found]: no proposal 'NW-NOPE' (give its id, like P-2026-0001, or its reference)",
        ),
        (
            ("init", "--policy", "nowhere.yaml"),
            "error[policy-invalid]: policy nowhere.yaml: cannot read: No such file or directory",
        ),
        (
            ("decide", "P-2026-0001", "--gate", "1", "--outcome", "go"),
            "error[decision-refused]: a decision needs --rationale",
        ),
        (
            ("decide", "--quarter", "2026Q4", "--by", "ana", "--rationale", "x"),
            "error[not-found]: no review proposed for 2026Q4: run `governance review --quarter 2026Q4`",
        ),
    ],
    ids=["unknown-id", "withdraw-unknown", "missing-policy", "no-rationale", "no-review"],
)
def test_refusals_are_one_line_and_exit_1(workdir: Path, args: tuple[str, ...], expected: str) -> None:
    result = run(workdir, *args)
    assert (result.returncode, result.stdout, result.stderr.splitlines()) == (1, "", [expected])


def test_commands_on_an_uninitialised_database_say_what_to_do(tmp_path: Path) -> None:
    result = run(tmp_path, "list")
    assert (result.returncode, result.stderr.strip()) == (
        1,
        f"error[store-not-initialised]: the database sqlite:///{tmp_path / 'governance.db'} is not initialised: "
        "run `governance init`",
    )


def test_the_command_line_help_lists_every_command() -> None:
    result = run(ROOT, "--help", env={"COLUMNS": "100"})
    assert result.returncode == 0
    listed = [line.split()[1] for line in result.stdout.splitlines() if line.startswith("│ ") and line[2] not in " -"]
    assert sorted(listed) == sorted({c[0] for c in COMMANDS})
