"""The engine's error tree. Every error carries a stable code that appears in its message.

    GovernanceError                      base; `code` is stable, printed as `error[code]`
    ├── ConfigError(ValueError)          settings, database URL, server state
    ├── PolicyError(ValueError)          a policy file that does not load or validate
    ├── InputRefused(ValueError)         a submission refused; `problems` lists each one
    ├── NotFoundError(LookupError)       no proposal / record with that id
    ├── DecisionRefused(ValueError)      a board decision the rules do not allow (quorum, tally, roster);
    │                                    code `meeting-date-invalid`: a meeting before what it decides on, or
    │                                    after today
    ├── TransitionError(RuntimeError)    the lifecycle does not allow that change now
    ├── ConflictError(RuntimeError)      another writer got there first
    ├── StoreError(RuntimeError)         database unreachable or not initialised
    ├── IntegrityError(RuntimeError)     the ledger or a snapshot does not verify
    ├── Unverifiable(RuntimeError)       a pack that cannot be verified (unsigned, offline)
    ├── UnreadableFile(ValueError)       a file to check that cannot be read as a pack
    ├── IdentityError(LookupError)       a name that is no person, or could be several
    └── Forbidden(PermissionError)       the role matrix does not allow this person this action

The CLI prints any of these as one line and exits non-zero; anything else is a bug.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "ConfigError",
    "ConflictError",
    "DecisionRefused",
    "ErrorCode",
    "Forbidden",
    "GovernanceError",
    "IdentityError",
    "InputRefused",
    "IntegrityError",
    "NotFoundError",
    "PolicyError",
    "Problem",
    "ProblemCode",
    "StoreError",
    "TransitionError",
    "UnreadableFile",
    "Unverifiable",
]

ErrorCode = Literal[
    "config-invalid",
    "policy-invalid",
    "input-refused",
    "not-found",
    "invalid-transition",
    "decision-refused",
    "meeting-date-invalid",
    "conflict",
    "store-unavailable",
    "store-not-initialised",
    "ledger-broken",
    "unknown-person",
    "ambiguous-person",
    "forbidden",
    "not-authenticated",
    "unverifiable",
    "file-unusable",
]

ProblemCode = Literal[
    "file-not-found",
    "file-too-large",
    "file-empty",
    "not-utf8",
    "parse-error",
    "unsupported-format",
    "not-a-record",
    "missing",
    "unknown-field",
    "invalid-value",
    "invalid-type",
    "out-of-range",
    "negative-amount",
    "not-finite",
    "markup-in-text",
    "inconsistent",
    "unknown-bucket",
    "unknown-objective",
    "unknown-reference",
    "duplicate-in-batch",
    "closed-proposal",
    "already-on-file",
    "wrong-quarter",
    "input-not-found",
    "unknown-person",
    "ambiguous-person",
    "forbidden",
    "not-authenticated",
    "recused",
    "not-amendable",
    "dependency-cycle",
]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one field of one record of one file."""

    file: str
    record: str
    field: str
    code: ProblemCode
    message: str

    def __str__(self) -> str:
        where = ", ".join(p for p in (self.file, self.record, self.field) if p)
        return f"{where}: {self.message} [{self.code}]"


class GovernanceError(Exception):
    """Base of every error the engine raises on purpose."""

    code: ErrorCode = "config-invalid"

    def __init__(self, message: str, *, code: ErrorCode | None = None) -> None:
        if code is not None:
            self.code = code
        self.message = message
        super().__init__(f"{message} [{self.code}]")


class ConfigError(GovernanceError, ValueError):
    code: ErrorCode = "config-invalid"


class PolicyError(GovernanceError, ValueError):
    code: ErrorCode = "policy-invalid"

    def __init__(self, message: str, *, problems: tuple[str, ...] = ()) -> None:
        self.problems = problems
        super().__init__(message)


class InputRefused(GovernanceError, ValueError):
    """A submission refused as a whole; nothing of it was written."""

    code: ErrorCode = "input-refused"

    def __init__(self, problems: list[Problem], *, message: str | None = None) -> None:
        self.problems = tuple(problems)
        files = sorted({p.file for p in problems})
        super().__init__(
            message or f"submission refused, nothing was filed: {len(problems)} problem(s) in {len(files)} file(s)"
        )


class NotFoundError(GovernanceError, LookupError):
    code: ErrorCode = "not-found"


class DecisionRefused(GovernanceError, ValueError):
    code: ErrorCode = "decision-refused"


class TransitionError(GovernanceError, RuntimeError):
    code: ErrorCode = "invalid-transition"


class ConflictError(GovernanceError, RuntimeError):
    code: ErrorCode = "conflict"


class StoreError(GovernanceError, RuntimeError):
    code: ErrorCode = "store-unavailable"


class IntegrityError(GovernanceError, RuntimeError):
    code: ErrorCode = "ledger-broken"


class UnreadableFile(GovernanceError, ValueError):
    """A file the engine was asked to check (a decision pack) that cannot be read as one: named, no traceback."""

    code: ErrorCode = "input-refused"


class Unverifiable(GovernanceError, RuntimeError):
    """A pack nothing was found wrong with, but that could not be verified either: an unsigned pack offline
    (its pages are checkable only against the ledger), an audit extract of a ledger that has grown since."""

    code: ErrorCode = "unverifiable"


class IdentityError(GovernanceError, LookupError):
    """A name that is not one person of the policy's people (unknown, or could be several)."""

    code: ErrorCode = "unknown-person"


class Forbidden(GovernanceError, PermissionError):
    """The policy's role matrix does not let this person take this action; the message names the rule."""

    code: ErrorCode = "forbidden"
