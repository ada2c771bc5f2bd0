"""Search keys for Chinese names: full pinyin and initials, so 'lngt' finds 辽宁港口 too."""

from functools import lru_cache

from pypinyin import Style, lazy_pinyin


@lru_cache(maxsize=20000)
def _char_pinyin(char: str) -> tuple[str, str]:
    full = lazy_pinyin(char, errors="default")[0].lower()
    initial = lazy_pinyin(char, style=Style.FIRST_LETTER, errors="default")[0].lower()
    return full, initial


def search_text(*names: str) -> str:
    """Names in lower case, followed by the full pinyin and the initials of the Chinese ones."""
    parts = [name.lower() for name in names if name]
    for name in names:
        if not name or name.isascii():
            continue
        syllables = [_char_pinyin(char) for char in name if not char.isspace()]
        parts.append("".join(full for full, _ in syllables))
        parts.append("".join(initial for _, initial in syllables))
    return " ".join(parts)
