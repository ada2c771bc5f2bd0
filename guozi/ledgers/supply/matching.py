"""Recognising one supplier across the portfolio (pure: no Django).

Enterprises name the same supplier in different ways: full-width or half-width brackets,
spaces, "Co., Ltd." or not. A supplier registered in China is matched by its USCC; a supplier
without one by its normalised name (`name_key`): Unicode NFKC (full-width forms become
half-width), lower case, no spaces or punctuation, and without the legal form at the end
(有限公司, 股份有限公司, Co., Ltd., GmbH, ...). "集团" is kept: a group and its subsidiary are
different suppliers.
"""

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
# Longest first, so that 股份有限公司 goes before 有限公司.
_LEGAL_FORMS = (
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "corporation",
    "incorporated",
    "company",
    "limited",
    "coltd",
    "gmbh",
    "corp",
    "pty",
    "ltd",
    "inc",
    "plc",
    "llc",
    "spa",
    "co",
    "ag",
    "sa",
    "bv",
    "nv",
    "kk",
)


def name_key(name: str) -> str:
    """The supplier's name reduced for matching; "" for a name of nothing but legal form."""
    text = _NOT_WORD.sub("", unicodedata.normalize("NFKC", name or "").casefold())
    stripped = True
    while stripped and text:
        stripped = False
        for form in _LEGAL_FORMS:
            if text.endswith(form) and len(text) > len(form):
                text = text[: -len(form)]
                stripped = True
                break
    return text


def is_only_legal_form(name: str) -> bool:
    """True for a name that is nothing but a legal form, such as 有限公司 or Co., Ltd."""
    key = name_key(name)
    return not key or key in _LEGAL_FORMS


@dataclass(frozen=True)
class Mention:
    """One input's supplier as an enterprise named it."""

    owner: int  # the enterprise
    input: int  # the input
    name: str
    uscc: str  # "" when not given
    share: float
    country: str


@dataclass
class SharedSupplier:
    key: str  # "uscc:<code>" or "name:<name key>"
    name: str  # the name used most often
    uscc: str
    countries: tuple[str, ...]
    enterprises: int
    inputs: int
    average_share: float  # the mean of its shares of the inputs it supplies


def supplier_key(uscc: str, key: str, uscc_by_name: dict[str, str]) -> str:
    """The key one supplier is grouped under: its USCC, the USCC that the same name carries
    elsewhere (when that name carries only one), or its normalised name."""
    if uscc:
        return f"uscc:{uscc}"
    if key in uscc_by_name:
        return f"uscc:{uscc_by_name[key]}"
    return f"name:{key}"


def _uscc_by_name(mentions: list[Mention]) -> dict[str, str]:
    """Names that carry exactly one USCC wherever they appear with one."""
    seen: dict[str, set[str]] = {}
    for mention in mentions:
        if mention.uscc:
            seen.setdefault(name_key(mention.name), set()).add(mention.uscc)
    return {key: next(iter(codes)) for key, codes in seen.items() if len(codes) == 1}


def group_suppliers(mentions: Iterable[Mention]) -> list[SharedSupplier]:
    """Every supplier named, with how many enterprises and inputs depend on it: the most
    depended on first (enterprises, then inputs, then the average share, then the name)."""
    mentions = list(mentions)
    uscc_by_name = _uscc_by_name(mentions)
    groups: dict[str, list[Mention]] = {}
    for mention in mentions:
        key = supplier_key(mention.uscc, name_key(mention.name), uscc_by_name)
        groups.setdefault(key, []).append(mention)
    suppliers = []
    for key, members in groups.items():
        names = Counter(m.name for m in members)
        suppliers.append(
            SharedSupplier(
                key=key,
                name=min(names, key=lambda n: (-names[n], n)),
                uscc=next((m.uscc for m in members if m.uscc), ""),
                countries=tuple(sorted({m.country for m in members})),
                enterprises=len({m.owner for m in members}),
                inputs=len({m.input for m in members}),
                average_share=sum(m.share for m in members) / len(members),
            )
        )
    suppliers.sort(key=lambda s: (-s.enterprises, -s.inputs, -s.average_share, s.name))
    return suppliers
