"""Evidence files (佐证材料): checked, named and kept in the data directory.

A file is accepted when its type (from its extension) is on the list, its size is within the
limit, and its content is what the type says: a .pdf starts with %PDF-, an .xlsx, .docx or .pptx
is a zip holding the members of that format, an .ofd a zip holding OFD.xml, a .doc or .xls an
OLE2 compound file, an image starts with its format's signature. Names are sanitised; the file
is stored under an opaque name in DATA_DIR/evidence/<item id>/.

Writing is in two steps so a bad file never leaves anything behind: `stage()` streams the
upload to a temporary file beside its destination, hashing and measuring it and checking its
content; `place()` renames it into place (atomic on one file system). The caller deletes what
it staged (`discard`) when anything fails.
"""

import hashlib
import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from guozi.lib.errors import DomainError

from .models import EvidenceType

DEFAULT_MAX_BYTES = 20 * 2**20
MAX_FILES_PER_UPDATE = 20
NAME_LENGTH = 120

EXTENSIONS = {
    ".pdf": EvidenceType.PDF,
    ".ofd": EvidenceType.OFD,
    ".docx": EvidenceType.DOCX,
    ".xlsx": EvidenceType.XLSX,
    ".pptx": EvidenceType.PPTX,
    ".doc": EvidenceType.DOC,
    ".xls": EvidenceType.XLS,
    ".png": EvidenceType.PNG,
    ".jpg": EvidenceType.JPEG,
    ".jpeg": EvidenceType.JPEG,
}
CONTENT_TYPES = {
    EvidenceType.PDF: "application/pdf",
    EvidenceType.OFD: "application/ofd",
    EvidenceType.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    EvidenceType.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    EvidenceType.PPTX: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    EvidenceType.DOC: "application/msword",
    EvidenceType.XLS: "application/vnd.ms-excel",
    EvidenceType.PNG: "image/png",
    EvidenceType.JPEG: "image/jpeg",
}
SIGNATURES = {
    EvidenceType.PDF: b"%PDF-",
    EvidenceType.DOC: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
    EvidenceType.XLS: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
    EvidenceType.PNG: b"\x89PNG\r\n\x1a\n",
    EvidenceType.JPEG: b"\xff\xd8\xff",
}
# The members a zip-based format must hold.
ZIP_MEMBERS = {
    EvidenceType.DOCX: ("[Content_Types].xml", "word/document.xml"),
    EvidenceType.XLSX: ("[Content_Types].xml", "xl/workbook.xml"),
    EvidenceType.PPTX: ("[Content_Types].xml", "ppt/presentation.xml"),
    EvidenceType.OFD: ("OFD.xml",),
}
# Characters no file system or browser should receive in a name.
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')


def max_bytes() -> int:
    return int(getattr(settings, "GUOZI_EVIDENCE_MAX_BYTES", DEFAULT_MAX_BYTES))


def root() -> Path:
    return Path(settings.DATA_DIR) / "evidence"


def accepted_extensions() -> str:
    return ", ".join(EXTENSIONS)


def sanitise_name(name: str) -> str:
    """A safe display and download name: the last path part only, no control or reserved
    characters, no leading dots, at most NAME_LENGTH characters with the extension kept."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = _UNSAFE.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip()
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    extension = extension.strip().lower()[:10]
    stem = stem.lstrip(". ").rstrip() or "file"
    room = NAME_LENGTH - (len(extension) + 1 if extension else 0)
    stem = stem[:room].rstrip()
    return f"{stem}.{extension}" if extension else stem


def declared_type(name: str) -> str:
    extension = Path(name).suffix.lower()
    found = EXTENSIONS.get(extension)
    if found is None:
        raise _refused(
            _("%(name)s: files of this type are not accepted; accepted: %(types)s.")
            % {"name": name, "types": accepted_extensions()},
            "type",
        )
    return found


def _refused(message: str, code: str) -> DomainError:
    return DomainError(message, code=f"evidence_{code}", fields={"file": [message]})


@dataclass
class Staged:
    temporary: Path
    relative: str  # the final path under root()
    original_name: str
    declared_type: str
    size: int
    sha256: str


def stage(upload, item_id: int) -> Staged:
    """Check an upload (anything with `name`, `size` and `chunks()`) and write it to a
    temporary file beside its destination. Raises DomainError with nothing left on disk."""
    name = sanitise_name(getattr(upload, "name", "") or "")
    kind = declared_type(name)
    limit = max_bytes()
    if getattr(upload, "size", None) is not None and upload.size > limit:
        raise _too_large(name, limit)
    folder = root() / str(item_id)
    folder.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex
    extension = Path(name).suffix.lower()
    temporary = folder / f".{token}.part"
    digest = hashlib.sha256()
    size = 0
    try:
        with temporary.open("xb") as stream:
            for chunk in upload.chunks():
                size += len(chunk)
                if size > limit:
                    raise _too_large(name, limit)
                digest.update(chunk)
                stream.write(chunk)
        if size == 0:
            raise _refused(_("%(name)s is empty.") % {"name": name}, "empty")
        check_content(temporary, kind, name)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return Staged(
        temporary=temporary,
        relative=f"{item_id}/{token}{extension}",
        original_name=name,
        declared_type=kind,
        size=size,
        sha256=digest.hexdigest(),
    )


def _too_large(name: str, limit: int) -> DomainError:
    return _refused(
        _("%(name)s is larger than %(limit)s.") % {"name": name, "limit": filesizeformat(limit)},
        "size",
    )


def check_content(path: Path, kind: str, name: str) -> None:
    """Refuse a file whose content is not of its declared type."""
    mismatch = _refused(
        _("%(name)s is not a real %(type)s file: its content does not match its type.")
        % {"name": name, "type": EvidenceType(kind).label},
        "content",
    )
    if kind in SIGNATURES:
        with path.open("rb") as stream:
            if stream.read(len(SIGNATURES[kind])) != SIGNATURES[kind]:
                raise mismatch
        return
    try:
        with zipfile.ZipFile(path) as archive:
            members = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise mismatch from None
    if not all(member in members for member in ZIP_MEMBERS[kind]):
        raise mismatch


def place(staged: Staged) -> Path:
    """Move a staged file to its final place."""
    final = root() / staged.relative
    staged.temporary.replace(final)
    return final


def discard(staged: list[Staged], placed: list[Path] = ()) -> None:
    for item in staged:
        item.temporary.unlink(missing_ok=True)
    for path in placed:
        path.unlink(missing_ok=True)


def stored_file(relative: str) -> Path | None:
    """The stored file of an evidence row, if it is there (and inside the evidence root)."""
    base = root().resolve()
    path = (base / relative).resolve()
    if base not in path.parents or not path.is_file():
        return None
    return path
