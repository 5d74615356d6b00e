"""The breached-password rule: a password that appears in a list of leaked or easily guessed
passwords is refused (AUTH_PASSWORD_VALIDATORS).

What the list is, honestly: no network lookup and no breach corpus. It is Django's bundled list
of the 20,000 most common passwords (django/contrib/auth/common-passwords.txt.gz, compiled by
Royce Williams from leaked password dumps: https://gist.github.com/roycewilliams/226886fd01572964e1431ac8afc999ce)
plus the portal's own list of guesses aimed at this installation
(portal/data/guessable-passwords.txt: the organisations' names, the industry's words). Besides
exact matches, a password made of a listed word followed only by digits and symbols
("Northbridge2026!", "password1!") is refused too, since that is the first thing a guesser tries.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError

PROJECT_LIST = Path(__file__).resolve().parent / "data" / "guessable-passwords.txt"
BREACHED = (
    "This password appears in lists of leaked or easily guessed passwords (or is one of them "
    "with digits or symbols added), so it would be among the first an attacker tries. Choose "
    "a different one: a few unrelated words work well."
)
_TAIL = re.compile(r"[\d\W_]+$")
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "@": "a", "$": "s"})
MIN_STEM = 4


@functools.cache
def listed() -> frozenset[str]:
    words = set(CommonPasswordValidator().passwords)  # Django's list, read as Django does
    for line in PROJECT_LIST.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            words.add(line.strip().lower())
    return frozenset(word for word in words if word)


def is_guessable(password: str) -> bool:
    lowered = password.strip().lower()
    candidates = {lowered, lowered.translate(_LEET)}
    for candidate in list(candidates):
        stem = _TAIL.sub("", candidate)
        if len(stem) >= MIN_STEM:
            candidates.add(stem)
            candidates.add(stem.translate(_LEET))
    return any(candidate in listed() for candidate in candidates)


class BreachedPasswordValidator:
    """Refuses passwords of `listed()`, alone or with digits and symbols appended."""

    def validate(self, password: str, user: Any = None) -> None:
        if is_guessable(password):
            raise ValidationError(BREACHED, code="password_breached")

    def get_help_text(self) -> str:
        return (
            "Your password can't be a commonly used or leaked password, nor the name of the "
            "portal's organisations with digits or symbols added."
        )
