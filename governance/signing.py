"""Optional PAdES signatures on decision packs (pyHanko), with a key the organisation configures.

`governance keys init` makes a self-signed RSA key and certificate for trying it out; an
organisation points `GOVERNANCE_SIGNING_KEY` and `GOVERNANCE_SIGNING_CERT` at its own. Signing
is deterministic like the packs themselves: the signing time comes from the caller (the record's
time, not the wall clock), RSA PKCS#1 v1.5 signatures carry no randomness, and the second file
identifier of the signed revision is derived from the first instead of drawn at random.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from governance.errors import ConfigError, IntegrityError

__all__ = ["SignatureCheck", "check_signatures", "init_keys", "sign_pdf", "signature_update"]

KEY_NAME = "signing-key.pem"
CERT_NAME = "signing-cert.pem"
FIELD = "GovernanceSignature"


def init_keys(folder: Path, organisation: str, now: dt.datetime, *, days: int = 730) -> tuple[Path, Path]:
    """A new RSA-3072 key (file mode 0600) and a self-signed certificate for it. Refuses to overwrite."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot make the keys folder {folder}: {exc.strerror}") from None
    key_path, cert_path = folder / KEY_NAME, folder / CERT_NAME
    existing = [p for p in (key_path, cert_path) if p.exists()]
    if existing:
        raise ConfigError(f"{existing[0]} exists already; remove it first to make a new key")
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{organisation} decision packs (self-signed, for trying out)"),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def _writer_class(data: bytes, when: dt.datetime) -> Any:
    import dataclasses

    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.metadata.model import DocumentMetadata

    digest = hashlib.sha256(data).digest()

    class _FixedTimeMeta(DocumentMetadata):
        """pyHanko stamps the revision's ModDate with the wall clock ("now"): use the signing time."""

        def __setattr__(self, name: str, value: Any) -> None:
            object.__setattr__(self, name, when if name == "last_modified" and value == "now" else value)

    class _DeterministicWriter(IncrementalPdfFileWriter):
        def __init__(self, stream: Any) -> None:
            super().__init__(stream)
            fixed = _FixedTimeMeta()
            for f in dataclasses.fields(self._meta):
                setattr(fixed, f.name, getattr(self._meta, f.name))
            self._meta = fixed

        @classmethod
        def _handle_id(cls, prev: Any) -> Any:
            try:
                first = prev.trailer["/ID"][0]
                raw = first.original_bytes if isinstance(first, generic.TextStringObject) else bytes(first)
            except KeyError:  # no file identifier yet: derive one from the content
                raw = digest[:16]
            second = hashlib.sha256(b"governance signed revision\n" + digest).digest()[:16]
            return generic.ArrayObject([generic.ByteStringObject(raw), generic.ByteStringObject(second)])

    return _DeterministicWriter


def sign_pdf(data: bytes, key_path: Path, cert_path: Path, when: dt.datetime, reason: str) -> bytes:
    """The PDF with a PAdES signature appended as an incremental update (the original bytes are kept)."""
    from pyhanko.sign import fields, signers
    from pyhanko.sign.fields import SigSeedSubFilter

    for path in (key_path, cert_path):
        if not path.is_file():
            raise ConfigError(f"signing key or certificate {path} not found (make one with `governance keys init`)")
    signer = signers.SimpleSigner.load(str(key_path), str(cert_path))  # type: ignore[no-untyped-call]
    if signer is None:
        raise ConfigError(f"could not load the signing key {key_path} with certificate {cert_path}")

    class _FixedTimeSigner(signers.PdfSigner):
        def init_signing_session(self, pdf_out: Any, existing_fields_only: bool = False) -> Any:
            session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
            session.system_time = when
            return session

    meta = signers.PdfSignatureMetadata(
        field_name=FIELD, md_algorithm="sha256", subfilter=SigSeedSubFilter.PADES, reason=reason
    )
    writer = _writer_class(data, when)(io.BytesIO(data))
    pdf_signer = _FixedTimeSigner(meta, signer=signer, new_field_spec=fields.SigFieldSpec(sig_field_name=FIELD))
    out = io.BytesIO()
    pdf_signer.sign_pdf(writer, output=out)
    return out.getvalue()


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    field: str
    signer: str
    signed_at: str | None
    intact: bool
    valid: bool
    trusted: bool
    covers_whole_file: bool

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.covers_whole_file


def check_signatures(data: bytes, cert_path: Path | None = None) -> list[SignatureCheck]:
    """Every signature in the PDF: intact (the signed bytes hash right), valid (the signature verifies),
    trusted (chains to `cert_path` when given), and covering the whole file (nothing appended after)."""
    with _quiet_pyhanko():
        return _check_signatures(data, cert_path)


@contextlib.contextmanager
def _quiet_pyhanko() -> Iterator[None]:
    """pyHanko logs what it finds wrong with a file, with a traceback (an update after the signature: "Error
    in diff operation"); the caller reports it in its own words."""
    log = logging.getLogger("pyhanko")
    level = log.level
    log.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        log.setLevel(level)


def _check_signatures(data: bytes, cert_path: Path | None) -> list[SignatureCheck]:
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    reader = PdfFileReader(io.BytesIO(data))
    roots = [load_cert_from_pemder(str(cert_path))] if cert_path is not None else []  # type: ignore[no-untyped-call]
    out = []
    for embedded in reader.embedded_signatures:
        # Without the organisation's certificate the signature is checked against its own certificate:
        # intact and valid say the bytes are as signed; `trusted` stays False.
        context = ValidationContext(trust_roots=roots or [embedded.signer_cert], allow_fetching=False)
        try:
            status = validate_pdf_signature(embedded, context)
        except Exception as exc:  # noqa: BLE001 - any failure to validate is reported as an invalid signature
            raise IntegrityError(f"signature {embedded.field_name}: cannot be validated ({exc})") from None
        when = status.signer_reported_dt
        out.append(
            SignatureCheck(
                field=str(embedded.field_name),
                signer=str(status.signing_cert.subject.human_friendly),
                signed_at=when.isoformat() if when else None,
                intact=bool(status.intact),
                valid=bool(status.valid),
                trusted=bool(status.trusted) if roots else False,
                covers_whole_file=status.coverage is not None and status.coverage.name == "ENTIRE_FILE",
            )
        )
    return out


def signature_update(data: bytes) -> tuple[bytes, list[str]]:
    """A signed pack's first revision (the pack as rendered) and what its signature's update does beyond signing.

    A pack is signed by one incremental update appended to the rendered bytes. That update may add the
    signature (its field, an invisible widget on a page, the form) and touch the catalog, the document
    information and the XMP metadata as pyHanko does; anything else it changes (a page's content, its
    resources, an attachment, another object) is listed, as is any revision beyond those two. The first
    revision is what `verify-pack` compares with the pack re-rendered from the ledger.
    """

    with _quiet_pyhanko():
        return _signature_update(data)


def _signature_update(data: bytes) -> tuple[bytes, list[str]]:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(data), strict=False)
    revisions = reader.xrefs.total_revisions
    start = reader.xrefs.get_startxref_for_revision(0)
    end = data.find(b"%%EOF", start)
    end = len(data) if end < 0 else end + len(b"%%EOF")
    while end < len(data) and data[end : end + 1] in (b"\r", b"\n"):
        end += 1
    if revisions != 2:
        return data[:end], [f"the file has {revisions} revisions, a signed pack two (the pack, then its signature)"]
    problems = [
        f"signature {e.field_name}: its value is not as written (altered)"
        for e in reader.embedded_signatures
        if not _canonical_value(data, list(e.byte_range))
    ]
    old, new = reader.get_historical_resolver(0), reader.get_historical_resolver(1)
    old_trailer, new_trailer = old.trailer_view, new.trailer_view
    for key in ("/Root", "/Info"):
        if dict.get(old_trailer, key) != dict.get(new_trailer, key):
            problems.append(f"the signature's update replaces the document's {key[1:]}")
    root, info = old_trailer.raw_get("/Root"), dict.get(old_trailer, "/Info")
    metadata = dict.get(old.root, "/Metadata")
    pages = {page.reference for page in _pages(old)}
    allowed: dict[Any, frozenset[str]] = {root.reference: frozenset({"/AcroForm", "/Extensions"})}
    allowed |= {ref: frozenset({"/Annots"}) for ref in pages}
    if info is not None:
        allowed[info.reference] = frozenset({"/Producer", "/ModDate"})
    changed_refs = new.explicit_refs_in_revision()  # type: ignore[no-untyped-call]  # pyHanko leaves it unannotated
    for ref in sorted(changed_refs, key=lambda r: (r.idnum, r.generation)):
        if reader.xrefs.get_introducing_revision(ref) == 1:
            continue  # new objects are drawn only through the catalog or a page, whose changes are checked here
        if metadata is not None and ref == metadata.reference:
            continue  # pyHanko writes the XMP metadata again (producer, dates)
        before, after = old(ref), new(ref)
        keys = allowed.get(ref)
        if keys is None or not isinstance(before, generic.DictionaryObject) or isinstance(after, generic.StreamObject):
            problems.append(f"the signature's update changes object {ref.idnum} (only the signature may be added)")
            continue
        changed = {k for k in set(before) | set(after) if dict.get(before, k) != dict.get(after, k)}
        if changed - keys:
            problems.append(f"the signature's update changes {', '.join(sorted(changed - keys))} of object {ref.idnum}")
        if "/Annots" in changed:
            kept = list(before.get("/Annots") or [])
            added = list(after.get("/Annots") or [])
            if [a.reference for a in added[: len(kept)]] != [a.reference for a in kept] or not all(
                _invisible_signature(a.get_object()) for a in added[len(kept) :]
            ):
                problems.append(f"the signature's update adds to page object {ref.idnum} more than a signature")
    return data[:end], problems


def _pages(resolver: Any) -> list[Any]:
    """Every page of a revision: the indirect references to its page dictionaries, in order."""
    out: list[Any] = []
    todo = [resolver.root.raw_get("/Pages")]
    while todo:
        node = todo.pop(0)
        obj = node.get_object()
        if obj.get("/Type") == "/Pages":
            todo[:0] = list(obj.raw_get("/Kids"))
        else:
            out.append(node)
    return out


def _invisible_signature(annot: Any) -> bool:
    rect = [float(v) for v in annot.get("/Rect", [0, 0, 1, 1])]
    zero_area = rect[0] == rect[2] or rect[1] == rect[3]
    return bool(annot.get("/FT") == "/Sig" and annot.get("/Subtype") == "/Widget" and zero_area)


def _canonical_value(data: bytes, byte_range: list[int]) -> bool:
    """Whether the signature's value, the one part of the file its digest leaves out, is as pyHanko writes it:
    `<`, the signature's DER in upper-case hex, zeros up to the space reserved, `>`. pyHanko reads past other
    padding and either case of hex, so a byte changed there would otherwise go unnoticed."""
    hole = data[byte_range[0] + byte_range[1] : byte_range[2]]
    digits = hole[1:-1]
    if hole[:1] != b"<" or hole[-1:] != b">" or digits.translate(None, b"0123456789ABCDEF") or len(digits) % 2:
        return False
    value = bytes.fromhex(digits.decode())
    if len(value) < 2 or value[0] != 0x30:
        return False
    size, start = value[1], 2  # DER: a SEQUENCE, its length in short or long form, then that many bytes
    if size & 0x80:
        width, start = size & 0x7F, 2 + (size & 0x7F)
        size = int.from_bytes(value[2:start], "big") if 0 < width <= 4 else len(value)
    return start + size <= len(value) and not value[start + size :].strip(b"\0")
