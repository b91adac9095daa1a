"""People by id: names as people write them resolved to the policy's people, accounts mapped to persons.

A name is compared by its key, not its spelling: NFKC, format characters (zero-width spaces) dropped,
look-alike letters from other scripts (Cyrillic A, Greek O) read as the Latin ones, accents dropped,
case folded, a parenthesised note ("Ana Ribeiro (CEO)") and titles ("Dr.") left out, "Ribeiro, Ana"
read as "Ana Ribeiro", punctuation and runs of spaces as one space. A key equal to a person's id, name
or alias is that person. A name that is not a person's but could be one ("A. Ribeiro", "Ribeiro",
"Ana Maria Ribeiro": the same last name and first initial, or one letter off) is refused as
ambiguous: it must be written so it names one person, or so it plainly names nobody in the policy
(an outside submitter).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from governance.errors import IdentityError, PolicyError
from models.people import Person
from models.policy import Policy

__all__ = ["Directory", "name_key"]

# Letters of other scripts that render like Latin ones (from Unicode's confusables.txt, the ones that
# matter in names): mapped before comparing, so a homoglyph spelling is the same key.
_LOOKALIKES = str.maketrans(
    {
        "А": "a", "а": "a", "В": "b", "Е": "e", "е": "e", "К": "k", "к": "k", "М": "m", "Н": "h",
        "О": "o", "о": "o", "Р": "p", "р": "p", "С": "c", "с": "c", "Т": "t", "у": "y", "Х": "x",
        "х": "x", "І": "i", "і": "i", "Ј": "j", "ј": "j", "Ѕ": "s", "ѕ": "s", "Ԁ": "d", "ԁ": "d",
        "ɡ": "g", "ӏ": "l", "Ӏ": "l", "ԛ": "q", "ԝ": "w", "Ү": "y", "ү": "y", "ɑ": "a", "ı": "i",
        "Α": "a", "Β": "b", "Ε": "e", "Ζ": "z", "Η": "h", "Ι": "i", "Κ": "k", "Μ": "m", "Ν": "n",
        "Ο": "o", "ο": "o", "Ρ": "p", "ρ": "p", "Τ": "t", "Υ": "y", "υ": "u", "Χ": "x", "ν": "v",
        "ℓ": "l",
    }
)  # fmt: skip
_TITLES = frozenset({"dr", "prof", "mr", "mrs", "ms", "mx", "sir", "dame", "ing", "dipl"})
_NOTE = re.compile(r"[(\[{][^)\]}]*[)\]}]")
_NOT_WORD = re.compile(r"[^\w]+")


@lru_cache(maxsize=65_536)
def name_key(raw: str) -> str:
    """The key two spellings of one name share (see the module's docstring)."""
    text = unicodedata.normalize("NFKC", raw)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc", "Mn"))
    text = text.translate(_LOOKALIKES)
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if unicodedata.category(ch) != "Mn")
    text = _NOTE.sub(" ", text.casefold())
    if text.count(",") == 1:
        last, first = text.split(",")
        text = f"{first} {last}"
    words = [w for w in _NOT_WORD.sub(" ", text).replace("_", " ").split() if w not in _TITLES]
    return " ".join(words)


def _close(a: str, b: str) -> bool:
    """One edit apart (insert, delete, replace or swap two neighbours), for keys of five letters or more."""
    if a == b or min(len(a), len(b)) < 5 or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


@dataclass(frozen=True)
class Directory:
    """The policy's people, by id, by name key and by account."""

    people: dict[str, Person]
    keys: dict[str, str] = field(default_factory=dict)  # name key -> person id
    accounts: dict[str, str] = field(default_factory=dict)  # account -> person id
    by_size: dict[int, list[tuple[str, str]]] = field(default_factory=dict)  # key without spaces, by length
    by_word: dict[str, list[str]] = field(default_factory=dict)  # first or last word of a key of 2+ words
    by_last: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # last word of a key of 2+ words

    @staticmethod
    def of(policy: Policy, *, source: str = "policy") -> Directory:
        """The policy's directory. Raises PolicyError if two people have a name or alias that reads alike."""
        return _directory(policy, source)

    def person(self, person_id: str) -> Person:
        return self.people[person_id]

    def for_account(self, account: str) -> Person | None:
        found = self.accounts.get(account)
        return self.people[found] if found else None

    def resolve(self, name: str, *, what: str) -> Person | None:
        """The person this name names; None for a name that is plainly nobody in the policy.

        Raises:
            IdentityError: the name could be one of the policy's people but is not written as one
                (`what` says which field it came from).
        """
        key = name_key(name)
        found = self.keys.get(key)
        if found is not None:
            return self.people[found]
        could = sorted(self._could_be(key))
        if could:
            names = ", ".join(f"{self.people[p].name} ({p})" for p in could)
            raise IdentityError(
                f"{what} {name!r} could be {names}: write the person's name as the policy has it, "
                "or add this spelling to their aliases",
                code="ambiguous-person",
            )
        return None

    def ids(self, *names: str) -> list[str]:
        """The ids of the people these names resolve to; names of nobody in the policy are left out."""
        found = (self.resolve(n, what="name") for n in names)
        return [p.id for p in found if p is not None]

    def member(self, name: str, *, what: str) -> Person:
        """Like `resolve`, for a name that must be one of the policy's people (votes, deciders, owners)."""
        person = self.resolve(name, what=what)
        if person is None:
            raise IdentityError(
                f"{what} {name!r} is nobody in the policy's people ({', '.join(sorted(self.people))})",
                code="unknown-person",
            )
        return person

    def _could_be(self, key: str) -> Iterable[str]:
        words = key.split()
        if not words:
            return
        compact = key.replace(" ", "")
        for size in (len(compact) - 1, len(compact), len(compact) + 1):
            for known, pid in self.by_size.get(size, ()):
                if _close(compact, known):
                    yield pid
        if len(words) == 1:
            if len(words[0]) > 2:
                yield from self.by_word.get(words[0], ())  # "Ribeiro" alone
            return
        for known, pid in self.by_last.get(words[-1], ()):
            if known.split()[0][0] == words[0][0]:
                yield pid  # "A. Ribeiro", "Ana Maria Ribeiro", "Antonia Ribeiro"


def _directory(policy: Policy, source: str) -> Directory:
    people = {p.id: p for p in policy.everyone()}
    keys: dict[str, str] = {}
    problems = []
    for p in people.values():
        for spelling in (p.id, p.name, *p.aliases):
            key = name_key(spelling)
            if not key:
                problems.append(f"{p.id}: {spelling!r} has no letters to compare")
            elif keys.get(key, p.id) != p.id:
                problems.append(f"{p.id} and {keys[key]} both read as {key!r} ({spelling!r})")
            else:
                keys[key] = p.id
    if problems:
        raise PolicyError(f"policy {source}: people: {problems[0]}", problems=tuple(problems))
    accounts = {a: p.id for p in people.values() for a in p.accounts}
    directory = Directory(people=people, keys=keys, accounts=accounts)
    for key, pid in keys.items():
        compact = key.replace(" ", "")
        directory.by_size.setdefault(len(compact), []).append((compact, pid))
        words = key.split()
        if len(words) > 1:
            for w in {words[0], words[-1]}:
                directory.by_word.setdefault(w, []).append(pid)
            directory.by_last.setdefault(words[-1], []).append((key, pid))
    return directory
