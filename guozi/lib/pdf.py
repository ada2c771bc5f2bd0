"""HTML to PDF with WeasyPrint, and the CJK font that PDF pages and server-side charts use.

The web pages use the vendored web font (WOFF2 subsets), which neither WeasyPrint nor matplotlib
can embed; documents take a TrueType/OpenType CJK font from the system (the distribution's
`fonts-noto-cjk`), found through fontconfig, or the file named by GUOZI_CJK_FONT. Without one, a
document would print Chinese as empty boxes: it fails instead, naming the package to install.
"""

import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from .errors import DomainError

FONT_PACKAGE = "fonts-noto-cjk"
# Families tried first, in order; any other font fontconfig lists for Chinese comes after them.
PREFERRED_FAMILIES = ("Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC")
FILE_FAMILY = "Guozi CJK"  # the CSS family name of a font given by file


@dataclass(frozen=True)
class CjkFont:
    path: Path
    family: str  # the fontconfig family, or FILE_FAMILY for a font given by file only

    @property
    def by_file(self) -> bool:
        return self.family == FILE_FAMILY

    def css(self) -> str:
        """The @font-face rule (a font given by file) to put before the document's styles."""
        if not self.by_file:
            return ""
        return f'@font-face {{ font-family: "{FILE_FAMILY}"; src: url("{self.path.as_uri()}"); }}'


def configured_font() -> str:
    return str(getattr(settings, "GUOZI_CJK_FONT", "") or os.environ.get("GUOZI_CJK_FONT", ""))


def cjk_font() -> CjkFont:
    """The CJK font documents use; a DomainError naming the font package when there is none."""
    found = _lookup(configured_font())
    if found is None:
        raise DomainError(
            message=_(
                "No Chinese (CJK) font is installed, so the document cannot show Chinese text. "
                "Install the %(package)s package (apt-get install %(package)s), or set "
                "GUOZI_CJK_FONT to a TrueType or OpenType CJK font file."
            )
            % {"package": FONT_PACKAGE},
            code="cjk_font_missing",
        )
    return found


@lru_cache(maxsize=8)
def _lookup(configured: str) -> CjkFont | None:
    if configured:
        path = Path(configured)
        return CjkFont(path, FILE_FAMILY) if path.is_file() else None
    return _fontconfig_font()


def _fontconfig_font() -> CjkFont | None:
    if shutil.which("fc-list") is None:
        return None
    listed = subprocess.run(
        ["fc-list", ":lang=zh-cn", "--format", "%{file}\t%{family}\n"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    ).stdout
    fonts: dict[str, Path] = {}
    for line in listed.splitlines():
        file, _tab, families = line.partition("\t")
        if not file.lower().endswith((".ttf", ".otf", ".ttc", ".otc")):
            continue  # WeasyPrint and matplotlib need an outline font file
        for family in families.split(","):
            fonts.setdefault(family.strip(), Path(file))
    for family in PREFERRED_FAMILIES:
        if family in fonts:
            return CjkFont(fonts[family], family)
    if fonts:
        family = min(fonts)
        return CjkFont(fonts[family], family)
    return None


def html_to_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """The PDF of an HTML document (its own @page rules set the paper and the margins).

    The document names its font family through `cjk_font()`; this checks the font is there
    before rendering, so a missing font is an error, never a PDF of empty boxes.
    """
    cjk_font()
    from weasyprint import HTML

    return HTML(string=html, base_url=base_url).write_pdf()
