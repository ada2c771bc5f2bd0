"""Where generated briefs and reports are kept: DATA_DIR/briefings/<folder>/<name>.<format>.

A set of files is written to a fresh folder beside the target and moved into place whole, so a
failed generation leaves the previous files as they were and never half a set.
"""

import shutil
import uuid
from pathlib import Path

from django.conf import settings

CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def root() -> Path:
    return Path(settings.DATA_DIR) / "briefings"


def store_set(folder: str, contents: dict[str, bytes]) -> dict[str, str]:
    """Write {format: bytes} as the files of `folder`, replacing what was there; returns
    {format: path relative to the root}."""
    target = root() / folder
    staging = target.with_name(f".{target.name}-{uuid.uuid4().hex}")
    staging.mkdir(parents=True)
    for fmt, data in contents.items():
        (staging / f"brief.{fmt}").write_bytes(data)
    if target.exists():
        shutil.rmtree(target)
    staging.replace(target)
    return {fmt: f"{folder}/brief.{fmt}" for fmt in contents}


def copy_set(files: dict[str, str], folder: str) -> dict[str, str]:
    """Copy a stored set to `folder` (an issued version keeps its own copy)."""
    return store_set(
        folder, {fmt: path_of(relative).read_bytes() for fmt, relative in files.items()}
    )


def path_of(relative: str) -> Path:
    """The stored file, if it is there and inside the root; FileNotFoundError otherwise."""
    base = root().resolve()
    path = (base / relative).resolve()
    if base not in path.parents or not path.is_file():
        raise FileNotFoundError(relative)
    return path
