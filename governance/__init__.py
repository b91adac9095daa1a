"""The governance engine: plain Python over models/. Never imports prefect.

The public surface is re-exported here; modules stay small and named for the noun they hold.
"""

from governance.adoption import adopt_policy, current_policy
from governance.canonical import canonical_bytes, canonical_text, sha256_hex
from governance.clock import Clock, FixedClock, IdSource, RandomIds, SeededIds, SystemClock
from governance.errors import (
    ConfigError,
    ConflictError,
    GovernanceError,
    InputRefused,
    IntegrityError,
    NotFoundError,
    PolicyError,
    Problem,
    StoreError,
    TransitionError,
)
from governance.intake import (
    Candidate,
    Filing,
    file_proposals,
    screen,
    validate_submission,
    withdraw,
)
from governance.ledger import ENGINE_VERSION, Ledger, NewRecord, VerifyReport, verify
from governance.policy import LoadedPolicy, load_policy
from governance.settings import Settings, load_settings
from governance.store import Store

__all__ = [
    "ENGINE_VERSION",
    "Candidate",
    "Clock",
    "ConfigError",
    "ConflictError",
    "Filing",
    "FixedClock",
    "GovernanceError",
    "IdSource",
    "InputRefused",
    "IntegrityError",
    "Ledger",
    "LoadedPolicy",
    "NewRecord",
    "NotFoundError",
    "PolicyError",
    "Problem",
    "RandomIds",
    "SeededIds",
    "Settings",
    "Store",
    "StoreError",
    "SystemClock",
    "TransitionError",
    "VerifyReport",
    "adopt_policy",
    "canonical_bytes",
    "canonical_text",
    "current_policy",
    "file_proposals",
    "load_policy",
    "load_settings",
    "screen",
    "sha256_hex",
    "validate_submission",
    "verify",
    "withdraw",
]
