"""References: what a name in a formula stands for, and the resolvers that say so.

The compiler never reads data. It asks a resolver what each name means and records the answer as
a `Ref`; the caller supplies one column per ref, named by `Ref.key`.
"""

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from .errors import UnknownName
from .status import KINDS

COLUMNS = ("current", "prior_year", "opening")
SCOPES = (None, "standalone")
AGGREGATES = (None, "children")


@dataclass(frozen=True)
class Ref:
    """One input series: a value of some source, in some column, scope and period offset."""

    source: str
    code: str
    column: str = "current"
    scope: str | None = None
    offset: int = 0
    aggregate: str | None = None
    kind: str = "number"

    def __post_init__(self) -> None:
        if self.column not in COLUMNS:
            raise ValueError(f"column must be one of {COLUMNS}, not {self.column!r}")
        if self.scope not in SCOPES:
            raise ValueError(f"scope must be one of {SCOPES}, not {self.scope!r}")
        if self.aggregate not in AGGREGATES:
            raise ValueError(f"aggregate must be one of {AGGREGATES}, not {self.aggregate!r}")
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {self.kind!r}")
        if self.offset < 0:
            raise ValueError(f"offset must be 0 or more, not {self.offset}")

    @property
    def key(self) -> str:
        """The column name the caller supplies, e.g. 'field:total_assets@prior_year-1'."""
        key = f"{self.source}:{self.code}"
        if self.column != "current":
            key += f"@{self.column}"
        if self.offset:
            key += f"-{self.offset}"
        if self.scope:
            key += f"/{self.scope}"
        if self.aggregate:
            key += f"/{self.aggregate}"
        return key


@dataclass(frozen=True)
class Expansion:
    """A name that stands for a formula of its own (an indicator, a named part such as EBITDA):
    the compiler compiles that formula in place, under the time and scope functions around the
    name, so `prior_year(ebitda)` reads the prior-year column of every field EBITDA adds up."""

    name: str
    node: object  # the parsed formula (a Node)


PERIOD_INDEX = Ref("context", "period_index")
PERIODS_PER_YEAR = Ref("context", "periods_per_year")


class Resolver(Protocol):
    def resolve_name(self, name: str) -> Ref | Expansion:
        """The ref (or the formula) a name stands for; raise `UnknownName(name, suggestions)`
        if there is none."""
        ...

    def resolve_function(self, name: str, args: list) -> Ref | None:
        """The ref a call such as param("x") stands for, or None if the function is not ours.

        Literal arguments arrive as values (float, str, bool); any other argument arrives as its
        syntax node, so that the resolver can refuse it by raising `ResolverError`.
        """
        ...


def close_names(name: str, candidates: Iterable[str]) -> list[str]:
    return difflib.get_close_matches(name, list(candidates), n=3, cutoff=0.6)


class FieldResolver:
    """Names are field codes of a form; `fields` maps each code to its kind."""

    def __init__(self, fields: Mapping[str, str], source: str = "field") -> None:
        for code, kind in fields.items():
            if kind not in KINDS:
                raise ValueError(f"field {code!r}: kind must be one of {KINDS}, not {kind!r}")
        self.fields = dict(fields)
        self.source = source

    def resolve_name(self, name: str) -> Ref:
        kind = self.fields.get(name)
        if kind is None:
            raise UnknownName(name, close_names(name, self.fields))
        return Ref(self.source, name, kind=kind)

    def resolve_function(self, name: str, args: list) -> Ref | None:
        return None


class ContextResolver:
    """The period's own position, readable by name: `period_index`, `periods_per_year`."""

    names = {PERIOD_INDEX.code: PERIOD_INDEX, PERIODS_PER_YEAR.code: PERIODS_PER_YEAR}

    def resolve_name(self, name: str) -> Ref:
        if name not in self.names:
            raise UnknownName(name, close_names(name, self.names))
        return self.names[name]

    def resolve_function(self, name: str, args: list) -> Ref | None:
        return None


class ChainResolver:
    """Asks each resolver in turn; the first that knows a name or a function wins."""

    def __init__(self, resolvers: Sequence[Resolver]) -> None:
        self.resolvers = list(resolvers)

    def resolve_name(self, name: str) -> Ref | Expansion:
        suggestions: list[str] = []
        for resolver in self.resolvers:
            try:
                return resolver.resolve_name(name)
            except UnknownName as unknown:
                suggestions.extend(s for s in unknown.suggestions if s not in suggestions)
        raise UnknownName(name, close_names(name, suggestions))

    def resolve_function(self, name: str, args: list) -> Ref | None:
        for resolver in self.resolvers:
            ref = resolver.resolve_function(name, args)
            if ref is not None:
                return ref
        return None
