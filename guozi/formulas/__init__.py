"""The formula language of validation rules, indicators and alert conditions.

Pure Python (no Django): `parse` text into a tree, `compile_formula` it against a resolver that
says what each name means, then evaluate it over a polars frame holding one row per enterprise
(`Compiled.evaluate`, `evaluate_many`), or for one row in plain Python (`evaluate_reference`).

    >>> import polars as pl
    >>> fields = FieldResolver({"total_assets": "number", "current_assets": "number"})
    >>> rule = compile_formula("total_assets >= current_assets", fields, kind="bool")
    >>> rule.keys
    ['field:current_assets', 'field:total_assets']
    >>> frame = pl.DataFrame({"field:total_assets": [10, None], "field:current_assets": [4, 5]})
    >>> rule.evaluate(frame).rows()
    [(True, 0), (None, 1)]
"""

from .compiler import FUNCTIONS, Compiled, compile_formula
from .engine import STATUS_SUFFIX, check_frame, evaluate, evaluate_many, plan_many
from .errors import EvaluationError, FormulaError, ResolverError, UnknownName
from .nodes import (
    Binary,
    Boolean,
    Call,
    Name,
    Node,
    Number,
    Reference,
    String,
    Unary,
    to_text,
    walk,
)
from .parser import parse
from .reference import evaluate_reference
from .refs import (
    PERIOD_INDEX,
    PERIODS_PER_YEAR,
    ChainResolver,
    ContextResolver,
    Expansion,
    FieldResolver,
    Ref,
    Resolver,
)
from .status import KINDS, MISSING, OK, STATUS_NAMES, STATUS_NAMES_ZH, UNDEFINED

__all__ = [
    "FUNCTIONS",
    "KINDS",
    "MISSING",
    "OK",
    "PERIODS_PER_YEAR",
    "PERIOD_INDEX",
    "STATUS_NAMES",
    "STATUS_NAMES_ZH",
    "STATUS_SUFFIX",
    "UNDEFINED",
    "Binary",
    "Boolean",
    "Call",
    "ChainResolver",
    "Compiled",
    "ContextResolver",
    "EvaluationError",
    "Expansion",
    "FieldResolver",
    "FormulaError",
    "Name",
    "Node",
    "Number",
    "Ref",
    "Reference",
    "Resolver",
    "ResolverError",
    "String",
    "Unary",
    "UnknownName",
    "check_frame",
    "compile_formula",
    "evaluate",
    "evaluate_many",
    "evaluate_reference",
    "parse",
    "plan_many",
    "to_text",
    "walk",
]
