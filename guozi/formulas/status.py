"""The status of a value: every evaluated value is ok, missing or undefined.

Statuses are small integers ordered so that combining inputs is a maximum: an undefined input
wins over a missing one, and a missing one over ok.
"""

OK = 0
MISSING = 1
UNDEFINED = 2

STATUS_NAMES = {OK: "ok", MISSING: "missing", UNDEFINED: "undefined"}
STATUS_NAMES_ZH = {OK: "正常", MISSING: "缺失", UNDEFINED: "无定义"}

KINDS = ("number", "bool", "text")
