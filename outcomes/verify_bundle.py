"""Check an inspection bundle offline, with the Python standard library only.

Usage (Python 3.9 or later; nothing to install):

    python -I verify_bundle.py                 # in the folder the archive was extracted to
    python -I verify_bundle.py bundle.zip      # or against the archive itself
    python -I verify_bundle.py path/to/folder

It prints OK and exits 0 when every check passes; otherwise it prints the FIRST BROKEN LINK,
then every other problem found, and exits 1 (2 when it cannot read the bundle at all).

What it checks, in this order:

1. Every file the manifest (`manifest.json`) lists is present, and its SHA-256 is the one the
   manifest records; no other file is in the bundle.
2. The audit trail (`audit/audit_trail.jsonl`), entry by entry, as a chain of its own that needs
   no key. Each line holds one exported entry and its `bundle_link`:

       bundle_link(n) = SHA-256( bundle_link(n-1) + ":" + SHA-256(canonical JSON of entry n) )

   starting from the manifest's `audit.bundle_chain.genesis`, and the last link must equal the
   manifest's `audit.bundle_chain.head`. Canonical JSON: keys sorted, separators "," and ":",
   ASCII only. An entry whose content was changed is named by its line and chain position.
3. The portal's own audit chain, carried through the bundle: positions follow one another
   without a gap, every entry's `previous_hash` is the `entry_hash` of the entry before it, the
   first links to `audit.anchors.previous_hash` (the entry just before the period) and the
   last is the one the entry just after the period links to (`audit.anchors.next`, when one
   existed when the bundle was built), and at every position a checkpoint recorded
   (`audit.anchors.checkpoints`) the entry has the hash that checkpoint recorded.

What it cannot check: the portal's entry hashes are HMAC-SHA256 under a key that never leaves
the server, so this script cannot recompute them from the entries' content; that is what
`manage.py verify_audit` does on the server. Offline, the bundle's own chain (2) shows that an
entry changed after the bundle was built, and the portal's links (3) show that the exported
entries are one unbroken stretch of the chain the server verifies. Someone who rewrites a file
AND the manifest consistently is caught only by comparing the archive's SHA-256 with the one
the portal recorded when it built the bundle (shown on the job page and in the audit entry of
every download).
"""

from __future__ import annotations

import hashlib
import json
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

MANIFEST = "manifest.json"
VERIFIER = "verify_bundle.py"
AUDIT_TRAIL = "audit/audit_trail.jsonl"


def canonical(value: object) -> bytes:
    """The bytes an exported entry is hashed as: sorted keys, no spaces, ASCII only."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def next_link(previous: str, entry: object) -> str:
    return sha256(f"{previous}:{sha256(canonical(entry))}".encode())


class Bundle:
    """The files of a bundle, from a zip archive or an extracted folder."""

    def __init__(self, where: Path) -> None:
        self.zip: zipfile.ZipFile | None = None
        self.root = where
        if where.is_file():
            self.zip = zipfile.ZipFile(where)
            names = [name for name in self.zip.namelist() if not name.endswith("/")]
            prefixes = {name.split("/", 1)[0] for name in names}
            # An archive holds one top folder (the bundle's name); strip it.
            self.prefix = f"{prefixes.pop()}/" if len(prefixes) == 1 else ""
            self.names = sorted(name[len(self.prefix) :] for name in names)
        else:
            self.prefix = ""
            self.names = sorted(
                path.relative_to(where).as_posix() for path in where.rglob("*") if path.is_file()
            )

    def read(self, name: str) -> bytes:
        with self.open(name) as file:
            return file.read()

    def open(self, name: str) -> IO[bytes]:
        """The file as a stream: a bundle's files are read a piece at a time, never whole."""
        if self.zip is not None:
            return self.zip.open(self.prefix + name)
        return (self.root / name).open("rb")

    def sha256(self, name: str) -> str:
        digest = hashlib.sha256()
        with self.open(name) as file:
            for block in iter(lambda: file.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()

    def lines(self, name: str) -> Iterator[str]:
        with self.open(name) as file:
            for line in file:
                yield line.decode().rstrip("\r\n")


def check_files(bundle: Bundle, manifest: dict) -> list[str]:
    problems = []
    listed = manifest.get("files", {})
    for name in sorted(listed):
        if name not in bundle.names:
            problems.append(f"{name}: listed in the manifest but missing from the bundle")
            continue
        digest = bundle.sha256(name)
        if digest != listed[name]["sha256"]:
            problems.append(
                f"{name}: its SHA-256 is {digest}, the manifest records {listed[name]['sha256']}"
            )
    for name in bundle.names:
        if name not in listed and name != MANIFEST:
            problems.append(f"{name}: in the bundle but not in the manifest")
    return problems


def check_audit(bundle: Bundle, manifest: dict) -> list[str]:
    audit = manifest.get("audit", {})
    chain = audit.get("bundle_chain", {})
    anchors = audit.get("anchors", {})
    if AUDIT_TRAIL not in bundle.names:
        return []  # reported by check_files
    problems = []
    link = chain.get("genesis", "")
    previous_hash = anchors.get("previous_hash")
    expected_position = anchors.get("first_position")
    checkpoints = {int(c["position"]): c for c in anchors.get("checkpoints", [])}
    count = 0
    last_hash = None
    for number, text in enumerate(bundle.lines(AUDIT_TRAIL), start=1):
        where = f"{AUDIT_TRAIL} line {number}"
        try:
            line = json.loads(text)
            entry = line["entry"]
            recorded = line["bundle_link"]
        except (ValueError, KeyError, TypeError):
            problems.append(f"{where}: not an exported audit entry")
            break
        count += 1
        position = entry.get("sequence")
        where = f"{where} (audit entry at chain position {position})"
        link = next_link(link, entry)
        if link != recorded:
            problems.append(f"{where}: its content does not match its bundle link")
            link = recorded  # go on from what the file says, to find further breaks
        if entry.get("legacy"):
            continue  # written before per-program chains: its neighbours are other programs'
        if expected_position is not None and position != expected_position:
            problems.append(f"{where}: position {position} where {expected_position} was expected")
        expected_position = (position or 0) + 1
        if previous_hash is not None and entry.get("previous_hash") != previous_hash:
            problems.append(f"{where}: does not link to the entry before it (previous_hash)")
        previous_hash = entry.get("entry_hash")
        last_hash = previous_hash
        checkpoint = checkpoints.get(position)
        if checkpoint is not None and checkpoint["entry_hash"] != entry.get("entry_hash"):
            problems.append(f"{where}: is not the entry {checkpoint['label']} recorded here")
    if count != chain.get("entries"):
        problems.append(
            f"{AUDIT_TRAIL}: holds {count} entries, the manifest records {chain.get('entries')}"
        )
    if link != chain.get("head"):
        problems.append(f"{AUDIT_TRAIL}: its last bundle link is not the manifest's head")
    following = anchors.get("next")
    if following and last_hash is not None and following["previous_hash"] != last_hash:
        problems.append(
            f"{AUDIT_TRAIL}: the entry after the period (position {following['position']}) "
            "does not link to the last exported entry: entries are missing at the end"
        )
    return problems


def verify(where: Path) -> list[str]:
    """Every problem found, the first broken link first; empty when the bundle verifies."""
    bundle = Bundle(where)
    if MANIFEST not in bundle.names:
        return [f"{MANIFEST}: missing; this is not an inspection bundle"]
    try:
        manifest = json.loads(bundle.read(MANIFEST))
    except ValueError:
        return [f"{MANIFEST}: not valid JSON"]
    file_problems = check_files(bundle, manifest)
    audit_problems = check_audit(bundle, manifest)
    # An entry named in the trail is a more precise first link than the trail file's hash.
    audit_file = [p for p in file_problems if p.startswith(f"{AUDIT_TRAIL}:")]
    others = [p for p in file_problems if p not in audit_file]
    if audit_problems:
        return [*others, *audit_problems, *audit_file]
    return [*others, *audit_file]


def main(argv: list[str]) -> int:
    where = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent
    try:
        problems = verify(where)
    except (OSError, zipfile.BadZipFile, UnicodeDecodeError) as error:
        print(f"CANNOT READ the bundle at {where}: {error}")
        return 2
    if not problems:
        print(f"OK: every file matches the manifest and the audit trail is unbroken ({where}).")
        return 0
    print(f"FIRST BROKEN LINK: {problems[0]}")
    for problem in problems[1:]:
        print(f"also: {problem}")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
