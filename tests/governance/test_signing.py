"""PAdES signatures on packs: deterministic, verifiable, and tampering shows."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import pytest
from weasyprint import HTML

from governance.errors import ConfigError
from governance.signing import check_signatures, init_keys, sign_pdf

WHEN = dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return init_keys(tmp_path_factory.mktemp("keys"), "Nordwind GmbH", WHEN)


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return bytes(HTML(string="<h1>Gate 2 decision</h1><p>P-2026-0007: conditional go.</p>").write_pdf())


def test_keys_init_makes_a_private_key_and_refuses_to_overwrite(keys: tuple[Path, Path]) -> None:
    key, cert = keys
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert key.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert cert.read_text().startswith("-----BEGIN CERTIFICATE-----")
    with pytest.raises(ConfigError, match="exists already; remove it first"):
        init_keys(key.parent, "Nordwind GmbH", WHEN)


def test_signing_is_deterministic_and_keeps_the_original_bytes(keys: tuple[Path, Path], pdf: bytes) -> None:
    first = sign_pdf(pdf, *keys, WHEN, "Decision pack")
    assert first == sign_pdf(pdf, *keys, WHEN, "Decision pack")
    assert first.startswith(pdf)  # an incremental update: the pack as rendered is still inside
    [check] = check_signatures(first, keys[1])
    assert (check.intact, check.valid, check.trusted, check.covers_whole_file, check.ok) == (True,) * 5
    assert check.signed_at == "2026-11-23T09:00:00+00:00"
    assert check.signer.endswith("Organization: Nordwind GmbH")
    [untrusted] = check_signatures(first)  # offline, without the organisation's certificate
    assert (untrusted.ok, untrusted.trusted) == (True, False)


def test_a_changed_byte_breaks_the_signature(keys: tuple[Path, Path], pdf: bytes, tmp_path: Path) -> None:
    signed = sign_pdf(pdf, *keys, WHEN, "Decision pack")
    offset = signed.index(b"/Producer")
    tampered = signed[:offset] + b"/Producex" + signed[offset + 9 :]
    [check] = check_signatures(tampered, keys[1])
    assert (check.intact, check.ok) == (False, False)
    _, other_cert = init_keys(tmp_path / "other", "Someone Else", WHEN)
    [foreign] = check_signatures(signed, other_cert)
    assert (foreign.ok, foreign.trusted) == (True, False)


def test_a_missing_key_is_a_clear_error(pdf: bytes, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found \\(make one with `governance keys init`\\)"):
        sign_pdf(pdf, tmp_path / "nokey.pem", tmp_path / "nocert.pem", WHEN, "x")
