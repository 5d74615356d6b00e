"""Checkpoints: the audit chains' heads, signed and kept outside the database.

The chain key stops anyone without it from rewriting entries and recomputing the chain; it
cannot show that a chain's last entries, or a whole chain, were removed, since what is left
still verifies. A checkpoint can: every 15 minutes (Celery beat runs `anchor_audit_chains`) and
after every migration (`manage.py audit_checkpoint`), the heads that moved since the last
checkpoint (chain name, position, entry hash; see `portal.audit.chain_heads`) are appended as
one JSON line to `settings.AUDIT_CHECKPOINT_FILE` and written to the log (logger
`portal.audit.checkpoints`), both out of the database's reach. `manage.py verify_audit` then
requires every chain to still hold, at every position a checkpoint recorded, the entry it
recorded there.

A line, e.g.::

    {"at": "2026-03-01T09:30:00+00:00", "heads": {"program:3": [12, "9f…"]}, "key_id": "…",
     "mac": "…", "n": 7, "previous": "<mac of line 6>"}

is signed with HMAC-SHA256 under a key derived from the chain key named by `key_id` (a derived
key, so that no entry's hash can pass for a checkpoint's), and names the line before it: a line
edited, forged without the key, or taken out of the middle is reported. Lines cut off the end of
the file are not, which is why the same lines go to the log as well.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from portal.audit import Anchor, ChainKey, chain_heads, current_key, keyring

logger = logging.getLogger("portal.audit.checkpoints")

FIRST_PREVIOUS = "0" * 64
Heads = dict[str, tuple[int, str]]


@dataclass(frozen=True)
class Checkpoint:
    """One line of the checkpoint file."""

    number: int
    at: str
    key_id: str
    previous: str
    heads: Heads
    mac: str

    @property
    def label(self) -> str:
        return f"checkpoint {self.number} ({self.at})"

    def fields(self) -> dict[str, Any]:
        return {
            "n": self.number,
            "at": self.at,
            "key_id": self.key_id,
            "previous": self.previous,
            "heads": {name: list(head) for name, head in sorted(self.heads.items())},
        }

    def line(self) -> str:
        return json.dumps({**self.fields(), "mac": self.mac}, sort_keys=True)


def _signing_key(key: ChainKey) -> bytes:
    return hmac.new(key.secret, b"portal.audit.checkpoint", hashlib.sha256).digest()


def _mac(key: ChainKey, fields: dict[str, Any]) -> str:
    payload = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(_signing_key(key), payload, hashlib.sha256).hexdigest()


def _parse(line: str) -> Checkpoint:
    data = json.loads(line)
    return Checkpoint(
        number=int(data["n"]),
        at=str(data["at"]),
        key_id=str(data["key_id"]),
        previous=str(data["previous"]),
        heads={str(name): (int(head[0]), str(head[1])) for name, head in data["heads"].items()},
        mac=str(data["mac"]),
    )


def read(path: Path | None = None) -> tuple[list[Checkpoint], list[str]]:
    """The checkpoints that verify, and a sentence for each line that does not (a line that
    does not verify anchors nothing). No file: no checkpoints, no problems."""
    path = path or settings.AUDIT_CHECKPOINT_FILE
    if not path.exists():
        return [], []
    keys = keyring()
    good: list[Checkpoint] = []
    problems: list[str] = []
    previous, expected = FIRST_PREVIOUS, 1
    for number, text in enumerate(path.read_text().splitlines(), start=1):
        where = f"{path}, line {number}"
        try:
            checkpoint = _parse(text)
        except (ValueError, KeyError, TypeError, IndexError, AttributeError):
            problems.append(f"{where}: not a checkpoint")
            continue
        key = keys.get(checkpoint.key_id)
        if key is None:
            problems.append(f"{where}: signed with an unknown key ({checkpoint.key_id})")
        elif not hmac.compare_digest(_mac(key, checkpoint.fields()), checkpoint.mac):
            problems.append(f"{where}: its signature does not match its content")
        elif checkpoint.number != expected or checkpoint.previous != previous:
            problems.append(f"{where}: does not follow the checkpoint before it")
            good.append(checkpoint)
        else:
            good.append(checkpoint)
        previous, expected = checkpoint.mac, checkpoint.number + 1
    return good, problems


def anchors(checkpoints: Iterable[Checkpoint]) -> dict[str, dict[int, Anchor]]:
    """Every position any checkpoint recorded, by chain: what the chains must still hold."""
    found: dict[str, dict[int, Anchor]] = {}
    for checkpoint in checkpoints:
        for name, (position, entry_hash) in checkpoint.heads.items():
            found.setdefault(name, {})[position] = Anchor(entry_hash, checkpoint.label)
    return found


def _last(lines: list[str]) -> tuple[int, str, Heads]:
    """Number and signature of the last line, and the latest head of every chain so far."""
    number, previous, heads = 0, FIRST_PREVIOUS, {}
    for text in lines:
        try:
            checkpoint = _parse(text)
        except (ValueError, KeyError, TypeError, IndexError, AttributeError):
            continue
        number, previous = checkpoint.number, checkpoint.mac
        heads.update(checkpoint.heads)
    return number, previous, heads


def write(path: Path | None = None) -> Checkpoint | None:
    """Append a checkpoint of the heads that moved since the last one (of every head, for the
    first line of a file) and log it; None when nothing moved. Safe from several processes at
    once: the file is locked while it is read and appended to."""
    path = path or settings.AUDIT_CHECKPOINT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        file.seek(0)
        lines = file.read().splitlines()
        number, previous, known = _last(lines)
        heads = {name: head for name, head in chain_heads().items() if known.get(name) != head}
        if lines and not heads:
            return None
        key = current_key()
        unsigned = Checkpoint(
            number + 1, timezone.now().isoformat(), key.key_id, previous, heads, ""
        )
        checkpoint = replace(unsigned, mac=_mac(key, unsigned.fields()))
        file.write(checkpoint.line() + "\n")
        file.flush()
        os.fsync(file.fileno())
    logger.info("audit checkpoint %s", checkpoint.line())
    return checkpoint
