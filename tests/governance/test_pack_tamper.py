"""verify-pack catches any change to a pack (issue 11): online the file is compared, byte for byte, with the
pack re-rendered from the ledger (a signed pack: the revision its signature covers); offline an unsigned pack
is unverifiable and a signed one stands on its signature; with a key configured every pack must be signed."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import random
import re
from pathlib import Path

import pytest

from governance.authority import Actor
from governance.errors import UnreadableFile
from governance.packs import gate_job, read_pack, write_pack
from governance.packs.check import UNSIGNED_OFFLINE, PackCheck, check_pack, sign_pack
from governance.packs.remake import Remade, identify, remake
from governance.signing import init_keys, sign_pdf
from governance.store import Store

from .test_packs import build_gate_db

KILL = "BOARD DECIDED KILL"
PAGE_1 = re.compile(r"page 1 differs from the pack re-rendered from the ledger \(first difference at byte \d+\)")
AT_BYTE = re.compile(r"the file differs from the pack re-rendered from the ledger at byte \d+")


@dataclasses.dataclass(frozen=True)
class Packs:
    db: Store
    folder: Path
    unsigned: bytes
    signed: bytes
    key: Path
    cert: Path
    expected: Remade


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory) -> Packs:
    folder = tmp_path_factory.mktemp("tamper")
    db = build_gate_db(folder / "db")
    job = gate_job(db, "P-2026-0001", 1, folder / "out")
    path = write_pack(job)
    unsigned = path.read_bytes()
    key, cert = init_keys(folder / "keys", "Nordwind GmbH", dt.datetime(2026, 11, 23, tzinfo=dt.UTC))
    signed = sign_pack(path, job.moment, key, cert).read_bytes()
    identity = identify(read_pack(path))
    assert identity is not None
    return Packs(db, folder, unsigned, signed, key, cert, remake(db, identity))


def _file(folder: Path, data: bytes, name: str = "pack.pdf") -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def _outcome(path: Path, packs: Packs, *, online: bool, cert: Path | None = None) -> PackCheck | str:
    """The check's result, or "unreadable" when the file is refused (with the file named, no traceback)."""
    try:
        return check_pack(path, packs.db if online else None, cert, expected=packs.expected)
    except UnreadableFile as refused:
        assert str(refused).startswith(f"{path}: ") and str(refused).endswith("[input-refused]"), str(refused)
        return "unreadable"


def test_a_genuine_pack_verifies_online_and_a_signed_one_offline(packs: Packs, tmp_path: Path) -> None:
    unsigned, signed = _file(tmp_path, packs.unsigned, "unsigned.pdf"), _file(tmp_path, packs.signed, "signed.pdf")
    for path in (unsigned, signed):
        online = check_pack(path, packs.db)  # re-rendered here, not taken from the fixture
        assert (online.ok, online.remade, online.pack, online.problems) == (
            True,
            True,
            "gate 1 decision pack of P-2026-0001",
            [],
        )
    trusted = check_pack(signed, packs.db, packs.cert)
    assert (trusted.ok, [s.trusted for s in trusted.signatures]) == (True, [True])
    offline = check_pack(signed, None, packs.cert)
    assert (offline.ok, offline.remade, offline.problems, offline.unverifiable) == (True, False, [], None)
    assert check_pack(signed).ok  # without the certificate: valid, not checked against a key


def test_an_unsigned_pack_is_unverifiable_offline(packs: Packs, tmp_path: Path) -> None:
    result = check_pack(_file(tmp_path, packs.unsigned))
    assert (result.ok, result.problems, result.unverifiable) == (False, [], UNSIGNED_OFFLINE)
    assert UNSIGNED_OFFLINE == (
        "an unsigned pack cannot be verified offline: its pages can be checked only against the ledger "
        "(run verify-pack without --offline)"
    )


def test_with_a_key_configured_an_unsigned_pack_fails_even_one_cut_back_from_a_signed_one(
    packs: Packs, tmp_path: Path
) -> None:
    cut = packs.signed[: len(packs.unsigned)]
    assert cut == packs.unsigned  # the signature is an incremental update: its first revision is the pack
    path = _file(tmp_path, cut)
    expected = [f"not signed, though packs are signed with the configured key ({packs.cert})"]
    for store in (packs.db, None):
        result = check_pack(path, store, packs.cert)
        assert (result.ok, result.problems) == (False, expected)


def test_a_pack_signed_with_another_key_fails_when_a_key_is_configured(packs: Packs, tmp_path: Path) -> None:
    key, cert = init_keys(tmp_path / "other", "Someone Else", dt.datetime(2026, 11, 23, tzinfo=dt.UTC))
    moment = dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)
    path = _file(tmp_path, sign_pdf(packs.unsigned, key, cert, moment, "forged"))
    result = check_pack(path, packs.db, packs.cert, expected=packs.expected)
    assert result.problems == [
        f"signature GovernanceSignature: not made with the configured signing key ({packs.cert})"
    ]


def _stamp(seed: int) -> bytes:
    """A one-page PDF saying BOARD DECIDED KILL somewhere on an A4 page (WeasyPrint, like the packs)."""
    from weasyprint import HTML

    rng = random.Random(seed)
    top, left, size = rng.randrange(10, 250), rng.randrange(5, 80), rng.randrange(12, 48)
    html = (
        "<style>@page { size: A4; margin: 0 }</style>"
        f'<p style="position: absolute; top: {top}mm; left: {left}mm; font: bold {size}pt sans-serif; '
        f'color: #c00">{KILL}</p>'
    )
    data: bytes = HTML(string=html).write_pdf()
    return data


def _merged(pack: bytes, stamp: bytes) -> bytes:
    """The pack rewritten by pypdf with the stamp drawn over page 1."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pack)))
    writer.pages[0].merge_page(PdfReader(io.BytesIO(stamp)).pages[0])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _appended(pack: bytes, stamp: bytes) -> bytes:
    """The pack with the stamp drawn over page 1 by an incremental update: its bytes kept, the change appended."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(io.BytesIO(pack), incremental=True)
    writer.pages[0].merge_page(PdfReader(io.BytesIO(stamp)).pages[0])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_twenty_overlays_over_page_1_are_caught(packs: Packs, tmp_path: Path) -> None:
    """ "BOARD DECIDED KILL" drawn over page 1, ten times by rewriting the file, ten times by an incremental
    update, on the unsigned and the signed pack: each fails online; offline, every unsigned one is
    unverifiable (each is read offline too: the stamps still check out)."""
    for seed in range(20):
        stamp = _stamp(seed)
        change = _merged if seed % 2 else _appended
        for name, pack in (("unsigned", packs.unsigned), ("signed", packs.signed)):
            data = change(pack, stamp)
            path = _file(tmp_path, data, f"{name}-{seed}.pdf")
            assert KILL in " ".join(read_pack(path).pages[0].split())  # drawn, as a reader sees it
            online = _outcome(path, packs, online=True)
            assert isinstance(online, PackCheck), (seed, name)
            if name == "unsigned":
                [problem] = online.problems
                assert PAGE_1.fullmatch(problem), (seed, problem)
                offline = _outcome(path, packs, online=False)
                assert isinstance(offline, PackCheck), (seed, name)
                assert (offline.problems, offline.unverifiable) == ([], UNSIGNED_OFFLINE)
            elif change is _appended:  # its signature (checked offline too) no longer covers the whole file
                assert online.problems == [
                    "signature GovernanceSignature: not covering the file",
                    "the file has 3 revisions, a signed pack two (the pack, then its signature)",
                ], (seed, online.problems)
            else:  # rewritten by pypdf: the signature's byte range no longer holds what it signed
                assert online.problems and not online.ok, (seed, online)


@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "signed"])
def test_two_hundred_single_byte_changes_are_each_caught(packs: Packs, tmp_path: Path, signed: bool) -> None:
    """200 seeded single-byte changes anywhere in a pack: online, each is refused as unreadable (naming the
    file) or fails its check; never a traceback, never a pass. Offline (one change in five), an unsigned pack
    is never verified (unreadable, failed or unverifiable), and neither is a signed one (its signature, or
    its value, no longer holds)."""
    pack = packs.signed if signed else packs.unsigned
    rng = random.Random(20261202 + signed)
    outcomes: dict[str, int] = {"unreadable": 0, "failed": 0, "unverifiable": 0, "verified": 0}
    for n in range(200):
        data = bytearray(pack)
        at = rng.randrange(len(data))
        data[at] = (data[at] + rng.randrange(1, 256)) % 256
        path = _file(tmp_path, bytes(data))
        # Offline reads every page's text (most of a check's time): one change in five is read offline too.
        for online in (True, False) if n % 5 == 0 else (True,):
            result = _outcome(path, packs, online=online)
            if isinstance(result, str):
                outcomes[result] += 1
            elif result.problems:
                outcomes["failed"] += 1
            elif result.unverifiable is not None:
                assert (online, signed, result.unverifiable) == (False, False, UNSIGNED_OFFLINE), at
                outcomes["unverifiable"] += 1
            else:
                outcomes["verified"] += 1
                pytest.fail(f"a change at byte {at} (online: {online}) passed: {pack[at - 40 : at + 40]!r}")
    assert sum(outcomes.values()) == 240 and outcomes["verified"] == 0, outcomes


def test_a_pack_made_before_its_decision_was_superseded_still_verifies(tmp_path: Path) -> None:
    """The pack is made again as of the ledger it was made from: a later supersession (which the pack made
    after it shows) does not make the earlier pack fail; both verify, and a pack saying neither does not."""
    from governance import board
    from governance.clock import FixedClock, SeededIds
    from governance.ledger import Ledger

    from .test_packs import START

    db = build_gate_db(tmp_path / "db")
    before = write_pack(gate_job(db, "P-2026-0001", 1, tmp_path / "before")).read_bytes()
    ledger = Ledger(FixedClock(START + dt.timedelta(days=1)), SeededIds("later"), engine_version="test")
    board.supersede(db, ledger, "P-2026-0001", 1, "The chair's vote was recorded wrongly", Actor.of("cio"))
    after = write_pack(gate_job(db, "P-2026-0001", 1, tmp_path / "after")).read_bytes()
    assert after != before
    for data in (before, after):
        result = check_pack(_file(tmp_path, data), db)
        assert (result.ok, result.remade, result.problems) == (True, True, [])
    [problem] = check_pack(_file(tmp_path, _appended(before, _stamp(1))), db).problems
    assert PAGE_1.fullmatch(problem), problem


def test_an_audit_extract_verifies_until_the_ledger_grows_then_only_its_signature_vouches(tmp_path: Path) -> None:
    """An audit extract shows the chain verification of the whole ledger of its day: it is re-rendered (with
    replay, or without as its first page says) while the ledger is as it was; once the ledger has grown an
    unsigned extract is unverifiable and a signed one stands on its signature."""
    from governance import board
    from governance.clock import FixedClock, SeededIds
    from governance.ledger import Ledger
    from governance.packs import audit_job
    from governance.replay import describe_replay

    from .test_packs import START

    db = build_gate_db(tmp_path / "db")
    day = START.date()
    with describe_replay(db) as replay:
        replayed = write_pack(audit_job(db, day, day, tmp_path / "replayed", replay))
    plain = write_pack(audit_job(db, day, day, tmp_path / "plain"))
    key, cert = init_keys(tmp_path / "keys", "Nordwind GmbH", dt.datetime(2026, 11, 23, tzinfo=dt.UTC))
    signed = _file(tmp_path, plain.read_bytes(), "signed.pdf")
    sign_pack(signed, START, key, cert)
    for path in (replayed, plain, signed):
        result = check_pack(path, db)
        assert (result.ok, result.remade, result.pack) == (True, True, f"audit extract {day}..{day}"), result
    ledger = Ledger(FixedClock(START + dt.timedelta(days=1)), SeededIds("later"), engine_version="test")
    board.supersede(db, ledger, "P-2026-0001", 1, "The chair's vote was recorded wrongly", Actor.of("cio"))
    grown = check_pack(plain, db)
    assert (grown.problems, grown.remade, grown.unverifiable) == (
        [],
        False,
        "an audit extract cannot be re-rendered once the ledger has grown (it shows the chain of its day): "
        "make it again to check it, or sign extracts",
    )
    vouched = check_pack(signed, db, cert)
    assert (vouched.ok, vouched.remade, vouched.against_ledger, vouched.problems) == (True, False, True, [])


def test_a_changed_character_in_the_signature_s_value_is_caught(packs: Packs, tmp_path: Path) -> None:
    """pyHanko reads past a changed byte of the value's zero padding, or a hex digit in lower case: the
    signature still validates, but the file is not as signed."""
    value = packs.signed.index(b"/Contents <") + len(b"/Contents <")
    end = packs.signed.index(b">", value)
    padding, letter = end - 1, value + next(i for i, c in enumerate(packs.signed[value:end]) if chr(c) in "ABCDEF")
    for at, byte in ((padding, b"1"), (letter, packs.signed[letter : letter + 1].lower())):
        data = packs.signed[:at] + byte + packs.signed[at + 1 :]
        result = check_pack(_file(tmp_path, data), None, packs.cert)
        assert [s.ok for s in result.signatures] == [True]  # pyHanko: intact, valid, whole file
        assert result.problems == ["signature GovernanceSignature: its value is not as written (altered)"]
