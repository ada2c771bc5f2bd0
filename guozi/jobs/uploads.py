"""Uploaded files waiting to be checked and imported.

Each upload is stored in the data directory beside a note (who, the file's name, its size and
what the importing page adds); only its uploader reads it back. Housekeeping deletes old ones.
"""

import json
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.http import Http404
from django.utils import timezone


def uploads_dir(kind: str = "") -> Path:
    folder = Path(settings.DATA_DIR) / "uploads"
    return folder / kind if kind else folder


def store_upload(
    user, upload, folder: Path, describe: Callable[[Path, str], dict] | None = None, **extra
) -> tuple[dict, Path]:
    """Save the upload and its note; `describe(path, name)` adds facts read from the file."""
    folder.mkdir(parents=True, exist_ok=True)
    upload_id = uuid.uuid4().hex
    path = folder / f"{upload_id}{Path(upload.name).suffix.lower()}"
    with path.open("wb") as stream:
        for chunk in upload.chunks():
            stream.write(chunk)
    note = {
        "id": upload_id,
        "user_id": user.id,
        "name": Path(upload.name).name[:200],
        "file": path.name,
        "size": upload.size,
        "uploaded_at": timezone.now().isoformat(),
        **extra,
    }
    if describe:
        note.update(describe(path, note["name"]))
    (folder / f"{upload_id}.json").write_text(json.dumps(note))
    return note, path


def uploaded(user, upload_id: str, folder: Path) -> tuple[dict, Path]:
    """The stored upload of `user`; anyone else's, or none, is a 404."""
    if not upload_id.isalnum():
        raise Http404
    try:
        note = json.loads((folder / f"{upload_id}.json").read_text())
    except (OSError, ValueError):
        raise Http404 from None
    path = folder / note["file"]
    if note.get("user_id") != user.id or not path.exists():
        raise Http404
    return note, path


def recent_uploads(user, folder: Path, limit: int = 10) -> list[dict]:
    """The user's latest uploads that are still there, newest first."""
    if not folder.is_dir():
        return []
    notes = []
    for note_path in sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True):
        try:
            note = json.loads(note_path.read_text())
        except (OSError, ValueError):
            continue
        if note.get("user_id") == user.id and (folder / note.get("file", "")).exists():
            note["uploaded"] = datetime.fromisoformat(note["uploaded_at"])
            notes.append(note)
        if len(notes) >= limit:
            break
    return notes
