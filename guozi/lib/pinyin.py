"""Search keys for Chinese names: full pinyin and initials, so 'lngk' finds 辽宁港口 too."""


class _Syllables(dict):
    """Character → its pinyin in one style, looked up once per character and then kept."""

    def __init__(self, style: str) -> None:
        super().__init__()
        self.style = style

    def __missing__(self, char: str) -> str:
        # pypinyin loads its phrase dictionary on import: only when a name needs it.
        from pypinyin import Style, lazy_pinyin

        style = getattr(Style, self.style)
        syllable = "" if char.isspace() else lazy_pinyin(char, style=style)[0].lower()
        self[char] = syllable
        return syllable


_FULL = _Syllables("NORMAL")
_INITIALS = _Syllables("FIRST_LETTER")


def search_text(*names: str) -> str:
    """Names in lower case, followed by the full pinyin and the initials of the Chinese ones."""
    parts = [name.lower() for name in names if name]
    for name in names:
        if not name or name.isascii():
            continue
        parts.append("".join(map(_FULL.__getitem__, name)))
        parts.append("".join(map(_INITIALS.__getitem__, name)))
    return " ".join(parts)
