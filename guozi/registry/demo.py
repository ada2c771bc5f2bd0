"""The Liaoning demo portfolio behind `guozi load_demo`.

`plan()` is pure: from a seed and a size it decides every enterprise, management link and stake,
with no database. `load_demo()` writes a plan in bulk (batches of enterprises, links, stakes and
one audit event per enterprise), then runs the 2021 merger and the 2025 transfer through the
registry services, so history is made exactly as a user would make it, and adds the demo users.

The management tree of an enterprise starts on the day it was established, but not before
2015-01-01 (`TREE_FLOOR`, when unified social credit codes began) and not before its parent's
own link: older enterprises enter the tree on 2015-01-01.
"""

from __future__ import annotations

import gc
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from itertools import islice
from types import SimpleNamespace

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from pypinyin import lazy_pinyin

from guozi.accounts import services as account_services
from guozi.accounts.models import ENTERPRISE_ROLES, Membership, User
from guozi.audit.models import AuditEvent
from guozi.audit.services import audit_record, snapshot
from guozi.lib import codetables
from guozi.lib.errors import DomainError
from guozi.lib.models import pick_language
from guozi.lib.uscc import ALPHABET, make_uscc

from . import demo_data as data
from . import services
from .models import (
    Enterprise,
    EnterpriseStatus,
    EquityLink,
    FunctionClass,
    ManagementLink,
    OutsideParty,
    Supervisor,
)

DEFAULT_SEED = 20260828
DEFAULT_TOTAL = 1500
MIN_TOTAL = 200
DEMO_TODAY = date(2026, 8, 28)
TREE_FLOOR = date(2015, 1, 1)
LAST_ESTABLISHED = date(2023, 12, 31)
BATCH = 2000

# The events the demo's history contains, by short name, for tests and later issues.
MERGER = ("鑫辽钢铁", "恒岳特钢", date(2021, 8, 20))  # absorbing group, absorbed group, day
TRANSFER = ("盛元酒店管理", "盛元资本", "碧山文旅", date(2025, 3, 1))  # subsidiary, from, to
JOINT_VENTURE = ("盘润烯烃", "盘海石化", "润辰化工")  # the venture, 51% holder, 49% holder
REPORTER_GROUP = "鑫辽钢铁"  # the group of the demo enterprise users
DEMO_USERNAMES = [row[0] for row in data.USERS]

# How deep new subsidiaries attach: the weight of a parent at depth 0 (the group), 1, 2, 3.
PARENT_DEPTH_WEIGHTS = (0.30, 0.45, 0.20, 0.05)
GROUP_MEAN_SIZE = 57  # enterprises per provincial group, as in the default demo


@dataclass(slots=True)
class Planned:
    """One enterprise of the plan. `parent` and enterprise holders are plan indexes."""

    index: int
    name_zh: str
    name_en: str
    short_name: str
    supervisor: str  # supervisor code
    region_code: str
    industry_code: str
    function_class: str | None
    ownership_level: str
    established_on: date
    since: date  # first day in the management tree
    depth: int  # 0 for a group (and a root of the observed tree)
    parent: int | None  # None: a group, managed by its supervisor
    uscc: str | None = None
    foreign_reg_no: str = ""
    foreign_country: str = ""
    listed_codes: str = ""
    portfolio: str = "own"
    status: str = EnterpriseStatus.ACTIVE
    status_on: date | None = None
    # (kind, holder, pct, valid_from): kind "enterprise" (plan index), "supervisor" (code) or
    # "party" (party key); the first is the management parent's stake. All end on `status_on`.
    holders: list[tuple[str, object, Decimal, date]] = field(default_factory=list)
    special: bool = False  # part of a scripted event: keeps its simple shape


@dataclass
class Plan:
    seed: int
    enterprises: list[Planned]
    parties: list[tuple[str, str, str, str]]  # key, Chinese name, English name, kind
    merger: tuple[int, int, date]  # absorbing, absorbed, day
    transfer: tuple[int, int, date]  # subsidiary, new parent, day
    users: list[tuple[str, str, str | int, str]]  # name, role, supervisor code or index, password


@dataclass
class GroupSpec:
    key: str
    brand: str
    brand_en: str
    kind: str
    kind_en: str
    kind_short: str
    city: str
    industry: str
    function_class: str | None
    year: int
    weight: int
    levels: int
    sector: str
    supervisor: str = "ln"
    ownership_level: str = "provincial"


def _pct(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _split(total: int, weights: list[int], minimum: list[int]) -> list[int]:
    """`total` shared out by weight (largest remainder), each share at least its minimum."""
    floor = sum(minimum)
    rest = max(total - floor, 0)
    whole = sum(weights)
    raw = [rest * weight / whole for weight in weights]
    shares = [int(value) for value in raw]
    order = sorted(range(len(raw)), key=lambda i: (shares[i] - raw[i], i))
    for i in order[: rest - sum(shares)]:
        shares[i] += 1
    return [share + low for share, low in zip(shares, minimum, strict=True)]


def _short_place(name: str) -> str:
    """和平区 -> 和平, 岫岩满族自治县 -> 岫岩, 沈北新区 -> 沈北."""
    if "自治" in name:
        return name[:2]
    for ending in ("新区", "区", "县", "市"):
        if name.endswith(ending) and len(name) > len(ending) + 1:
            return name[: -len(ending)]
    return name


@cache
def _pinyin_title(text: str) -> str:
    return "".join(lazy_pinyin(text)).title()


class Planner:
    def __init__(self, seed: int, total: int) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.total = total
        self.items: list[Planned] = []
        self.shorts: set[str] = set()
        self.bodies = 0
        self.foreign = 0
        self.listed: set[str] = set()
        self.counties: dict[str, list[str]] = {}
        for region in codetables.regions().values():
            if region.level == "county" and region.current and region.name_zh != "市辖区":
                self.counties.setdefault(region.parent_code or "", []).append(region.code)
        for codes in self.counties.values():
            codes.sort()
        self.place_names = {code: (zh, en) for code, zh, en in data.CITIES + data.OTHER_PLACES}
        self.liaoning = [row[0] for row in data.CITIES]

    # --- identifiers -------------------------------------------------------------------------

    def uscc(self, region: str, established: date) -> str:
        """A valid, unique code. Bodies come from a counter through a bijection, so they look
        scattered; entities registered since 2015 get the new "MA…" bodies."""
        self.bodies += 1
        n = self.bodies
        if established.year >= 2015:
            value = (n * 104729 + 3_000_000) % 31**6
            chars = []
            for _position in range(6):
                value, digit = divmod(value, 31)
                chars.append(ALPHABET[digit])
            body = "MA" + "".join(reversed(chars))
        else:
            body = f"{(n * 48271 + 10_000_000) % 10**8:08d}"
        return make_uscc("9", "1", region, body)

    def foreign_number(self, country: str) -> str:
        self.foreign += 1
        n = self.foreign
        if country == "HK":
            return f"{2_100_000 + n * 37:07d}"
        if country == "SG":
            return f"{2005 + n % 18}{10_000 + n:05d}{'KMNRWZ'[n % 6]}"
        if country == "DE":
            return f"HRB {100_000 + n * 13}"
        if country == "AU":
            digits = f"{600_000_000 + n * 1_009:09d}"
            return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
        return f"{50_000_000 + n * 11:08d}"

    def listed_code(self) -> str:
        while True:
            if self.rng.random() < 0.6:
                code = f"{self.rng.choice(['600', '601', '603'])}{self.rng.randrange(1000):03d}.SH"
            else:
                code = f"{self.rng.choice(['000', '002'])}{self.rng.randrange(1, 1000):03d}.SZ"
            if code not in self.listed:
                self.listed.add(code)
                return code

    # --- dates and places ------------------------------------------------------------------

    def day_in(self, year: int) -> date:
        return date(year, self.rng.randint(1, 12), self.rng.randint(1, 28))

    def county(self, city: str) -> str:
        return self.rng.choice(self.counties[city])

    def place(self, near: str, stay: float) -> str:
        """A city for a subsidiary: mostly near its parent, often elsewhere in Liaoning, now and
        then outside the province."""
        roll = self.rng.random()
        if roll < stay:
            return near
        if roll < 0.96:
            return self.rng.choice(self.liaoning)
        return self.rng.choice(data.OTHER_PLACES)[0]

    def region_of(self, place: str) -> str:
        if place in self.counties:
            return self.county(place)
        return place  # a district code outside the province

    # --- names ---------------------------------------------------------------------------------

    def claim(self, short: str) -> bool:
        if short in self.shorts:
            return False
        self.shorts.add(short)
        return True

    def sub_names(self, brand, brand_en, stem, stem_en, place, region, first_level, home):
        """Short name and English short name of a subsidiary, unique in the whole plan."""
        zh, en = self.place_names.get(place, ("", ""))
        county = codetables.region(region)
        county_zh = _short_place(county.name_zh) if county and region != place else ""
        candidates = []
        if first_level and place == home:
            candidates.append((f"{brand}{stem}", f"{brand_en} {stem_en}"))
        candidates.append((f"{brand}{zh}{stem}", f"{brand_en} {en} {stem_en}"))
        if county_zh:
            candidates.append((f"{brand}{county_zh}{stem}", f"{brand_en} {{}} {stem_en}"))
        for short, short_en in candidates:
            if self.claim(short):
                return short, short_en.replace("{}", _pinyin_title(county_zh))
        number = 2
        while not self.claim(f"{brand}{zh}第{_chinese_number(number)}{stem}"):
            number += 1
        return (
            f"{brand}{zh}第{_chinese_number(number)}{stem}",
            f"{brand_en} {en} No. {number} {stem_en}",
        )

    def rename(self, item: Planned, brand: str, brand_en: str, stems) -> None:
        """Give a subsidiary another line of business (and so another name)."""
        stem, stem_en, industry, _class = self.rng.choice(stems)
        region = item.region_code
        place = region[:4] + "00" if region.startswith("21") else region
        self.shorts.discard(item.short_name)
        item.short_name, short_en = self.sub_names(
            brand, brand_en, stem, stem_en, place, region, False, ""
        )
        item.industry_code = industry
        self.name(item, short_en)

    # --- trees ---------------------------------------------------------------------------------

    def shape(self, size: int, levels: int) -> list[tuple[int, int]]:
        """(parent position, depth) of `size` nodes, the root first, in depth-first order; the
        deepest level is always reached."""
        nodes = [(-1, 0)]
        by_depth: dict[int, list[int]] = {0: [0]}
        for depth in range(1, levels + 1):
            if len(nodes) >= size:
                break
            nodes.append((by_depth[depth - 1][-1], depth))
            by_depth.setdefault(depth, []).append(len(nodes) - 1)
        weights = PARENT_DEPTH_WEIGHTS[:levels]
        depths = list(range(levels))
        while len(nodes) < size:
            depth = self.rng.choices(depths, weights)[0]
            while depth not in by_depth:
                depth -= 1
            parent = self.rng.choice(by_depth[depth])
            nodes.append((parent, depth + 1))
            by_depth.setdefault(depth + 1, []).append(len(nodes) - 1)
        children: dict[int, list[int]] = {}
        for position, (parent, _depth) in enumerate(nodes):
            children.setdefault(parent, []).append(position)
        order, stack = [], [0]
        while stack:
            position = stack.pop()
            order.append(position)
            stack.extend(reversed(children.get(position, [])))
        new_position = {old: new for new, old in enumerate(order)}
        return [(new_position.get(nodes[old][0], -1), nodes[old][1]) for old in order]

    def stake(self, item: Planned, parent_ref: tuple[str, object], listable: bool) -> None:
        """The management parent's stake and, where it is below 100%, the other holders."""
        roll = self.rng.random()
        kind, holder = parent_ref
        if listable and roll < 0.03:
            main = _pct(round(self.rng.uniform(30, 65), 2))
            fund = _pct(round(self.rng.uniform(1, 4), 2))
            item.holders = [
                (kind, holder, main, item.since),
                ("party", "ssf", fund, item.since),
                ("party", "public", Decimal(100) - main - fund, item.since),
            ]
            item.listed_codes = self.listed_code()
            return
        if roll < 0.65:
            item.holders = [(kind, holder, Decimal(100), item.since)]
            return
        main = Decimal(self.rng.choice([51, 55, 60, 65, 66, 70, 75, 80, 85, 90, 95]))
        rest = Decimal(100) - main
        item.holders = [(kind, holder, main, item.since)]
        if self.rng.random() < 0.4:
            employees = min(rest, Decimal(self.rng.choice([5, 10, 15])))
            item.holders.append(("party", "employees", employees, item.since))
            rest -= employees
        if rest > 0:
            item.holders.append(("party", "private", rest, item.since))

    def add(self, **fields) -> Planned:
        item = Planned(index=len(self.items), **fields)
        self.items.append(item)
        return item

    def group_tree(self, spec: GroupSpec, size: int, *, cap: date = LAST_ESTABLISHED) -> Planned:
        """A group and its subsidiaries, in depth-first order."""
        home_region = self.county(spec.city)
        established = self.day_in(spec.year)
        prefix, prefix_en = (
            ("辽宁", "Liaoning") if spec.supervisor == "ln" else self.city_prefix(spec.city)
        )
        short = f"{spec.brand}{spec.kind_short}"
        number = 1
        while not self.claim(short):
            number += 1
            short = f"{spec.brand}{spec.kind_short}{number}"
        group = self.add(
            name_zh=f"{prefix}{spec.brand}{spec.kind}集团有限公司{data.SUFFIX_ZH}",
            name_en=f"{prefix_en} {spec.brand_en} {spec.kind_en} Group Co., Ltd.{data.SUFFIX_EN}",
            short_name=short,
            supervisor=spec.supervisor,
            region_code=home_region,
            industry_code=spec.industry,
            function_class=spec.function_class,
            ownership_level=spec.ownership_level,
            established_on=established,
            since=max(established, TREE_FLOOR),
            depth=0,
            parent=None,
        )
        group.uscc = self.uscc(home_region, established)
        if spec.supervisor == "ln" and self.rng.random() < 0.5:
            group.holders = [
                ("supervisor", "ln", Decimal(90), group.since),
                ("party", "ssf", Decimal(10), group.since),
            ]
        else:
            group.holders = [("supervisor", spec.supervisor, Decimal(100), group.since)]
        self.subsidiaries(group, spec, size, cap=cap)
        return group

    def city_prefix(self, city: str) -> tuple[str, str]:
        zh, en = self.place_names[city]
        return zh, en

    def subsidiaries(self, root: Planned, spec: GroupSpec, size: int, *, cap: date) -> None:
        shape = self.shape(size, spec.levels)
        positions = [root]
        stems = data.STEMS[spec.sector]
        central = spec.ownership_level == "central"
        overseas_slots = {} if central else self.overseas_slots(shape, spec.sector)
        for position, (parent_position, depth) in enumerate(shape[1:], start=1):
            parent = positions[parent_position]
            if position in overseas_slots:
                template = overseas_slots[position]
                positions.append(self.overseas(parent, spec, template, depth, cap))
                continue
            stem, stem_en, industry, fclass = (
                self.rng.choice(data.COMMON_STEMS)
                if self.rng.random() < 0.08
                else self.rng.choice(stems)
            )
            near = parent.region_code[:4] + "00" if parent.region_code[:2] == "21" else spec.city
            place = self.place(near, 0.85 if spec.ownership_level == "municipal" else 0.52)
            region = self.region_of(place)
            if self.rng.random() < 0.22:
                established = self.day_in(self.rng.randint(1950, 1994))
            else:
                established = self.day_in(self.rng.randint(max(1990, spec.year - 8), 2023))
            established = min(established, cap)
            short, short_en = self.sub_names(
                spec.brand, spec.brand_en, stem, stem_en, place, region, depth == 1, spec.city
            )
            item = self.add(
                name_zh="",
                name_en="",
                short_name=short,
                supervisor=spec.supervisor,
                region_code=region,
                industry_code=industry,
                function_class=None if central else self.function_class(spec, fclass),
                ownership_level=spec.ownership_level,
                established_on=established,
                since=max(established, parent.since),
                depth=depth,
                parent=parent.index,
                portfolio=root.portfolio,
            )
            item.uscc = self.uscc(region, established)
            self.stake(item, ("enterprise", parent.index), listable=depth == 1)
            self.name(item, short_en)
            positions.append(item)

    @staticmethod
    def function_class(spec: GroupSpec, stem_class: str | None) -> str | None:
        """The stem's own class, else the group's; the commercial subsidiaries of a
        public-welfare group are commercial."""
        if stem_class:
            return stem_class
        if spec.function_class == data.PUBLIC:
            return data.COMPETITIVE
        return spec.function_class

    def name(self, item: Planned, short_en: str) -> None:
        form = "股份有限公司" if item.listed_codes else "有限公司"
        central = item.ownership_level == "central"
        suffix = data.CENTRAL_SUFFIX_ZH if central else data.SUFFIX_ZH
        suffix_en = data.CENTRAL_SUFFIX_EN if central else data.SUFFIX_EN
        item.name_zh = f"{item.short_name}{form}{suffix}"
        item.name_en = f"{short_en} Co., Ltd.{suffix_en}"

    def overseas_slots(self, shape, sector: str) -> dict[int, tuple]:
        """Which leaves at depth 1 or 2 become the sector's overseas subsidiaries."""
        templates = data.OVERSEAS.get(sector, [])
        has_children = {parent for parent, _depth in shape}
        leaves = [
            position
            for position, (_parent, depth) in enumerate(shape)
            if depth in (1, 2) and position not in has_children
        ]
        chosen = self.rng.sample(leaves, min(len(templates), len(leaves)))
        return dict(zip(sorted(chosen), templates, strict=False))

    def overseas(self, parent: Planned, spec: GroupSpec, template, depth: int, cap: date):
        country, pattern, pattern_en, industry = template
        name = pattern.format(brand=spec.brand)
        short = name.removesuffix("有限公司").removesuffix("有限责任公司")
        if not self.claim(short):
            short = f"{short}{self.foreign + 1}"
            self.claim(short)
        established = min(self.day_in(self.rng.randint(max(2003, spec.year), 2023)), cap)
        item = self.add(
            name_zh=f"{name}{data.SUFFIX_ZH}",
            name_en=f"{pattern_en.format(brand_en=spec.brand_en)}{data.SUFFIX_EN}",
            short_name=short,
            supervisor=spec.supervisor,
            region_code="",
            industry_code=industry,
            function_class=self.function_class(spec, None),
            ownership_level=spec.ownership_level,
            established_on=established,
            since=max(established, parent.since),
            depth=depth,
            parent=parent.index,
            foreign_country=country,
            portfolio=parent.portfolio,
            special=True,
        )
        item.foreign_reg_no = self.foreign_number(country)
        item.holders = [("enterprise", parent.index, Decimal(100), item.since)]
        return item


def _chinese_number(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return f"{digits[tens] if tens > 1 else ''}十{digits[ones] if ones else ''}"


def _brands(rng: random.Random, taken: set[str]):
    """Endless fresh two-character (then three-character) brands with their pinyin."""
    chars = data.BRAND_CHARS
    pairs = [(a, b) for a in chars for b in chars if a[0] != b[0]]
    rng.shuffle(pairs)
    for (a, pa), (b, pb) in pairs:
        if a + b not in taken:
            yield a + b, (pa + pb).title()
    for (a, pa), (b, pb) in pairs:
        for c, pc in chars:
            yield a + b + c, (pa + pb + pc).title()


def plan(*, seed: int = DEFAULT_SEED, total: int = DEFAULT_TOTAL) -> Plan:
    """The whole demo registry for a seed: about `total` enterprises, same seed, same plan."""
    if total < MIN_TOTAL:
        raise DomainError(
            _("The demo needs at least %(n)d enterprises.") % {"n": MIN_TOTAL}, code="demo_size"
        )
    planner = Planner(seed, total)
    rng = planner.rng
    n_central = max(8, round(total * 0.013))
    n_municipal = max(24, round(total * 0.04))
    n_provincial = total - n_central - n_municipal

    named = [GroupSpec(*row) for row in data.GROUPS]
    taken = {spec.brand for spec in named}
    taken |= {row[2] for row in data.MUNICIPAL_GROUPS} | {row[0] for row in data.CENTRAL}
    brands = _brands(rng, taken)
    n_groups = max(len(named), round(n_provincial / GROUP_MEAN_SIZE))
    specs = list(named)
    for i in range(n_groups - len(named)):
        template = named[i % len(named)]
        brand, brand_en = next(brands)
        specs.append(
            GroupSpec(
                **{
                    **template.__dict__,
                    "key": f"extra{i}",
                    "brand": brand,
                    "brand_en": brand_en,
                    "city": rng.choice(planner.liaoning),
                    "year": rng.randint(1990, 2023),
                }
            )
        )
    sizes = _split(
        n_provincial, [spec.weight for spec in specs], [spec.levels + 1 for spec in specs]
    )
    groups: dict[str, Planned] = {}
    for spec, size in zip(specs, sizes, strict=True):
        cap = MERGER[2] - timedelta(days=51) if spec.key == "special_steel" else LAST_ESTABLISHED
        groups[spec.key] = planner.group_tree(spec, size, cap=cap)

    # Municipal groups under the Shenyang and Dalian supervisors.
    municipal = [
        GroupSpec(
            key,
            brand,
            brand_en,
            kind,
            kind_en,
            kind_short,
            "210100" if code == "sy" else "210200",
            industry,
            fclass,
            year,
            1,
            levels,
            sector,
            supervisor=code,
            ownership_level="municipal",
        )
        for code, key, brand, brand_en, kind, kind_en, kind_short, industry, fclass, year, levels,
        sector in data.MUNICIPAL_GROUPS
    ]  # fmt: skip
    n_municipal_groups = max(len(municipal), round(n_municipal / 10))
    for i in range(n_municipal_groups - len(municipal)):
        brand, brand_en = next(brands)
        template = municipal[i % len(municipal)]
        municipal.append(
            GroupSpec(**{**template.__dict__, "key": f"m{i}", "brand": brand, "brand_en": brand_en})
        )
    sizes = _split(n_municipal, [1] * len(municipal), [spec.levels + 1 for spec in municipal])
    for spec, size in zip(municipal, sizes, strict=True):
        planner.group_tree(spec, size)

    parties = [tuple(row) for row in data.PARTIES]
    _central(planner, n_central, brands, parties)

    merger = _merger(groups)
    transfer = _transfer(planner, groups)
    _joint_venture(planner, groups)
    _deregistrations(planner)
    _minority_stakes(planner, groups, excluded_holder=groups["special_steel"].index)
    users = _users(planner, groups)
    return Plan(seed, planner.items, parties, merger, transfer, users)


def _central(planner: Planner, n_central: int, brands, parties: list) -> None:
    """Central enterprises in the province: observed roots with a few subsidiaries."""
    rng = planner.rng
    n_roots = max(len(data.CENTRAL), round(n_central / 5))
    sizes = _split(n_central, [1] * n_roots, [1] * n_roots)
    party_keys: dict[str, str] = {}
    for i, size in enumerate(sizes):
        brand0, brand_en0, name, name_en, region, industry, sector, holder, holder_en = (
            data.CENTRAL[i % len(data.CENTRAL)]
        )
        brand, brand_en = (brand0, brand_en0) if i < len(data.CENTRAL) else next(brands)
        name = name.replace(brand0, brand)
        name_en = name_en.replace(brand_en0, brand_en)
        holder = holder.replace(brand0, brand)
        holder_en = holder_en.replace(brand_en0, brand_en)
        if holder.startswith(brand):
            holder, holder_en = holder + data.CENTRAL_SUFFIX_ZH, holder_en + data.CENTRAL_SUFFIX_EN
        if holder not in party_keys:
            party_keys[holder] = f"central{len(party_keys)}"
            parties.append((party_keys[holder], holder, holder_en, "state"))
        established = planner.day_in(rng.randint(1952, 2012))
        short = name.removesuffix("有限公司")
        planner.claim(short)
        root = planner.add(
            name_zh=f"{name}{data.CENTRAL_SUFFIX_ZH}",
            name_en=f"{name_en}{data.CENTRAL_SUFFIX_EN}",
            short_name=short,
            supervisor="ln",
            region_code=region,
            industry_code=industry,
            function_class=None,
            ownership_level="central",
            established_on=established,
            since=max(established, TREE_FLOOR),
            depth=0,
            parent=None,
            portfolio="observed",
        )
        root.uscc = planner.uscc(region, established)
        root.holders = [("party", party_keys[holder], Decimal(100), root.since)]
        city = region[:4] + "00" if region.startswith("21") else rng.choice(planner.liaoning)
        spec = GroupSpec(
            f"central{i}", brand, brand_en, "", "", "", city, industry, None, established.year,
            1, 2 if size >= 4 else 1, sector, ownership_level="central",
        )  # fmt: skip
        planner.subsidiaries(root, spec, size, cap=LAST_ESTABLISHED)


def _merger(groups: dict[str, Planned]) -> tuple[int, int, date]:
    into, absorbed = groups["steel"], groups["special_steel"]
    assert (into.short_name, absorbed.short_name) == MERGER[:2]
    return into.index, absorbed.index, MERGER[2]


def _first_child_with_children(planner: Planner, group: Planned) -> Planned:
    items = planner.items
    parents = {item.parent for item in items[group.index + 1 :] if item.parent is not None}
    return next(
        item
        for item in items[group.index + 1 :]
        if item.parent == group.index and item.index in parents and not item.special
    )


def _transfer(planner: Planner, groups: dict[str, Planned]) -> tuple[int, int, date]:
    """The investment group's hotel company, with its hotels, goes to the tourism group."""
    source, target = groups["investment"], groups["tourism"]
    assert (source.short_name, target.short_name) == TRANSFER[1:3]
    hotel = _first_child_with_children(planner, source)
    planner.shorts.discard(hotel.short_name)
    hotel.short_name = TRANSFER[0]
    planner.claim(hotel.short_name)
    hotel.industry_code = "H61"
    hotel.established_on = min(hotel.established_on, date(2019, 5, 16))
    hotel.since = max(hotel.established_on, source.since)
    hotel.listed_codes = ""
    hotel.holders = [("enterprise", source.index, Decimal(100), hotel.since)]
    hotel.special = True
    brand, brand_en = next(row[1:3] for row in data.GROUPS if row[0] == "investment")
    planner.name(hotel, f"{brand_en} Hotel Management")
    # Its own subsidiaries are hotels and restaurants.
    for item in planner.items[hotel.index + 1 :]:
        if item.depth <= hotel.depth:
            break
        if not item.foreign_country:
            planner.rename(item, brand, brand_en, data.HOTEL_STEMS)
    return hotel.index, target.index, TRANSFER[3]


def _joint_venture(planner: Planner, groups: dict[str, Planned]) -> None:
    major, minor = groups["petrochem"], groups["chemical"]
    assert (major.short_name, minor.short_name) == JOINT_VENTURE[1:]
    venture = _first_child_with_children(planner, major)
    planner.shorts.discard(venture.short_name)
    venture.short_name = JOINT_VENTURE[0]
    planner.claim(venture.short_name)
    venture.industry_code = "C26"
    venture.established_on = date(2018, 6, 18)
    venture.since = max(venture.established_on, major.since, minor.since)
    venture.listed_codes = ""
    venture.holders = [
        ("enterprise", major.index, Decimal(51), venture.since),
        ("enterprise", minor.index, Decimal(49), venture.since),
    ]
    venture.special = True
    venture.name_zh = f"辽宁{venture.short_name}有限公司{data.SUFFIX_ZH}"
    venture.name_en = f"Liaoning Panrun Olefins Co., Ltd.{data.SUFFIX_EN}"
    # Its subsidiaries cannot predate it in the tree.
    for item in planner.items[venture.index + 1 :]:
        if item.depth <= venture.depth:
            break
        parent = planner.items[item.parent]
        item.since = max(item.since, parent.since)
        item.holders = [
            (kind, h, pct, max(start, item.since)) for kind, h, pct, start in item.holders
        ]


def _deregistrations(planner: Planner) -> None:
    """A few leaves deep in the trees were deregistered (注销); their links end that day."""
    rng = planner.rng
    parents = {item.parent for item in planner.items}
    latest = date(2026, 6, 30)
    for item in planner.items:
        if item.depth < 2 or item.index in parents or item.special or rng.random() >= 0.03:
            continue
        first = item.since + timedelta(days=400)
        if first >= latest:
            continue
        item.status = EnterpriseStatus.DEREGISTERED
        item.status_on = first + timedelta(days=rng.randrange((latest - first).days))


def _minority_stakes(planner: Planner, groups: dict[str, Planned], excluded_holder: int) -> None:
    """A few groups hold 20% (参股) in another group's subsidiary."""
    rng = planner.rng
    holders = [g for g in groups.values() if g.index != excluded_holder]
    group_of: dict[int, int] = {}
    for item in planner.items:
        group_of[item.index] = item.index if item.parent is None else group_of[item.parent]
    candidates = [
        item
        for item in planner.items
        if item.depth >= 1
        and item.ownership_level == "provincial"
        and not item.special
        and item.status == EnterpriseStatus.ACTIVE
        and len(item.holders) == 1
        and item.holders[0][2] == 100
    ]
    count = max(3, round(planner.total / 300))
    for item in rng.sample(candidates, min(count, len(candidates))):
        holder = rng.choice([g for g in holders if g.index != group_of[item.index]])
        kind, parent, _pct, start = item.holders[0]
        item.holders = [
            (kind, parent, Decimal(80), start),
            ("enterprise", holder.index, Decimal(20), max(start, holder.since)),
        ]


def _users(planner: Planner, groups: dict[str, Planned]) -> list:
    steel = groups["steel"]
    assert steel.short_name == REPORTER_GROUP
    subsidiary = _first_child_with_children(planner, steel)
    nodes = {"ln": "ln", "sy": "sy", "group": steel.index, "subsidiary": subsidiary.index}
    return [(name, role, nodes[node], password) for name, role, node, password in data.USERS]


# --- writing ---------------------------------------------------------------------------------


@dataclass
class Loaded:
    plan: Plan
    enterprises: int
    management_links: int
    equity_links: int
    users: list[tuple[str, str, str, str]]  # name, role, node name, password


def _batches(items, size: int = BATCH):
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _delete_all(model) -> None:
    """Delete a whole table in one statement, without loading its rows."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")


def reset() -> None:
    """Remove the demo registry: every registry row, every membership, the demo users."""
    for supervisor in Supervisor.objects.all():
        audit_record(actor=None, action="delete", instance=supervisor, before=snapshot(supervisor))
    Membership.objects.all().delete()
    User.objects.filter(username__in=DEMO_USERNAMES).delete()
    for model in (EquityLink, ManagementLink, OutsideParty, Enterprise, FunctionClass):
        _delete_all(model)
    while Supervisor.objects.exists():
        Supervisor.objects.exclude(
            id__in=Supervisor.objects.filter(parent__isnull=False).values("parent_id")
        ).delete()


def load_demo(*, seed: int = DEFAULT_SEED, total: int = DEFAULT_TOTAL, reset_first=False) -> Loaded:
    """Plan the demo and write it; with `reset_first`, replace an earlier demo registry."""
    # Planning and writing allocate millions of small acyclic objects at --scale 100000; the
    # cyclic garbage collector would walk them over and over for nothing.
    collecting = gc.isenabled()
    gc.disable()
    try:
        demo_plan = plan(seed=seed, total=total)
        with transaction.atomic():
            if reset_first:
                reset()
            elif Supervisor.objects.filter(code="ln").exists():
                raise DomainError(
                    _(
                        "The database already holds the Liaoning supervisor (ln); nothing was "
                        "changed. Run load_demo --reset to replace the demo registry."
                    ),
                    code="demo_exists",
                )
            return _write(demo_plan)
    finally:
        if collecting:
            gc.enable()


def create_supervisors() -> dict[str, Supervisor]:
    """The demo's supervisors (Liaoning with Shenyang and Dalian below it), nothing else."""
    supervisors: dict[str, Supervisor] = {}
    for code, name_zh, name_en, short, region, level, parent in data.SUPERVISORS:
        supervisors[code] = services.supervisor_create(
            acting_user=None,
            fields={
                "code": code,
                "name_zh": name_zh,
                "name_en": name_en,
                "short_name": short,
                "region_code": region,
                "level": level,
            },
            parent=supervisors.get(parent),
        )
    return supervisors


def _write(demo_plan: Plan) -> Loaded:
    supervisors = create_supervisors()
    sup_ids = {code: sup.id for code, sup in supervisors.items()}
    classes = {
        (fc.supervisor_id, fc.code): fc.id
        for fc in FunctionClass.objects.filter(supervisor_id__in=sup_ids.values())
    }
    parties = OutsideParty.objects.bulk_create(
        OutsideParty(name_zh=zh, name_en=en, kind=kind) for _key, zh, en, kind in demo_plan.parties
    )
    party_ids = {row[0]: party.id for row, party in zip(demo_plan.parties, parties, strict=True)}

    ids = _insert_enterprises(demo_plan, sup_ids, classes)
    _insert_links(demo_plan, ids, sup_ids, party_ids)

    into, absorbed, on = demo_plan.merger
    services.enterprise_merge(
        acting_user=None,
        absorbed=Enterprise.objects.get(id=ids[absorbed]),
        into=Enterprise.objects.get(id=ids[into]),
        on=on,
    )
    moved, new_parent, on = demo_plan.transfer
    services.enterprise_transfer(
        acting_user=None,
        enterprise=Enterprise.objects.get(id=ids[moved]),
        new_parent=Enterprise.objects.get(id=ids[new_parent]),
        on=on,
    )

    users = []
    for name, role, node, password in demo_plan.users:
        user = account_services.user_create(acting_user=None, username=name, password=password)
        if role in ENTERPRISE_ROLES:
            enterprise = Enterprise.objects.get(id=ids[node])
            account_services.membership_create(
                acting_user=None,
                user=user,
                role=role,
                enterprise=enterprise,
                valid_from=demo_plan.enterprises[node].since,
            )
            users.append((name, role, enterprise.short_name, password))
        else:
            account_services.membership_create(
                acting_user=None,
                user=user,
                role=role,
                supervisor=supervisors[node],
                valid_from=TREE_FLOOR,
            )
            users.append((name, role, supervisors[node].short_name, password))
    return Loaded(
        plan=demo_plan,
        enterprises=len(ids),
        management_links=ManagementLink.objects.count(),
        equity_links=EquityLink.objects.count(),
        users=users,
    )


def _insert_sql(model, attnames: list[str]) -> tuple[str, tuple]:
    """INSERT for the given fields plus the model's other fields, and those fields' defaults
    (to append to every row)."""
    quote = connection.ops.quote_name
    rest = [
        f for f in model._meta.concrete_fields if not f.primary_key and f.attname not in attnames
    ]
    columns = [model._meta.get_field(name).column for name in attnames] + [f.column for f in rest]
    defaults = tuple(f.get_db_prep_save(f.get_default(), connection) for f in rest)
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(map(quote, columns))}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    return sql, defaults


def _enterprise_attnames() -> list[str]:
    return [f.attname for f in Enterprise._meta.concrete_fields if not f.primary_key]


def _insert_enterprises(demo_plan: Plan, sup_ids: dict, classes: dict) -> list[int]:
    """Insert the plan's enterprises with one audit event each; their ids, by plan index.

    Rows go in with `executemany`: at 100,000 enterprises the ORM's per-value work in
    `bulk_create` costs more than the whole budget of the demo.
    """
    industries = codetables.industries()
    attnames = _enterprise_attnames()
    insert, _none = _insert_sql(Enterprise, attnames)
    event_fields = [
        "at", "actor_id", "actor_name", "channel", "action", "object_type", "object_id",
        "object_repr", "enterprise_id", "before", "after",
    ]  # fmt: skip
    insert_event, _none = _insert_sql(AuditEvent, event_fields)
    json_field = AuditEvent._meta.get_field("after")
    now = timezone.now()
    stored_now = connection.ops.adapt_datetimefield_value(now)
    language = get_language()
    table = connection.ops.quote_name(Enterprise._meta.db_table)
    ids = [0] * len(demo_plan.enterprises)
    last_id = Enterprise.objects.aggregate(last=Max("id"))["last"] or 0
    with connection.cursor() as cursor:
        for chunk in _batches(demo_plan.enterprises):
            records = []
            for item in chunk:
                supervisor_id = sup_ids[item.supervisor]
                record = {
                    "created_at": stored_now,
                    "updated_at": stored_now,
                    "uscc": item.uscc,
                    "foreign_reg_no": item.foreign_reg_no,
                    "foreign_country": item.foreign_country,
                    "name_zh": item.name_zh,
                    "name_en": item.name_en,
                    "short_name": item.short_name,
                    "supervisor_id": supervisor_id,
                    "region_code": item.region_code,
                    "industry_code": item.industry_code,
                    "function_class_id": classes.get((supervisor_id, item.function_class)),
                    "ownership_level": item.ownership_level,
                    "listed_codes": item.listed_codes,
                    "main_business": industries[item.industry_code].name_zh,
                    "established_on": item.established_on,
                    "status": item.status,
                    "status_on": item.status_on,
                    "merged_into_id": None,
                    "portfolio": item.portfolio,
                }
                derived = SimpleNamespace(**record)
                services.derive_fields(derived)
                record["search_text"] = derived.search_text
                record["city_code"] = derived.city_code
                record["industry_section"] = derived.industry_section
                records.append(record)
            cursor.executemany(insert, [[record[name] for name in attnames] for record in records])
            cursor.execute(
                f"SELECT id, uscc, foreign_country, foreign_reg_no FROM {table} WHERE id > %s",
                [last_id],
            )
            found = {uscc or (country, number): pk for pk, uscc, country, number in cursor}
            events = []
            for item, record in zip(chunk, records, strict=True):
                pk = found[item.uscc or (item.foreign_country, item.foreign_reg_no)]
                ids[item.index] = pk
                last_id = max(last_id, pk)
                # The same record `audit.services.snapshot` makes of a saved enterprise.
                after = {"id": pk}
                after.update((name, record[name]) for name in attnames)
                after["created_at"] = after["updated_at"] = now.isoformat()
                after["established_on"] = item.established_on.isoformat()
                after["status_on"] = item.status_on.isoformat() if item.status_on else None
                events.append(
                    (
                        stored_now, None, "system", "cli", "create", "registry.enterprise",
                        str(pk), pick_language(item.name_zh, item.name_en, language)[:200], pk,
                        None, json_field.get_db_prep_save(after, connection),
                    )
                )  # fmt: skip
            cursor.executemany(insert_event, events)
    return ids


def _insert_links(demo_plan: Plan, ids: list[int], sup_ids: dict, party_ids: dict) -> None:
    link_fields = ["child_id", "parent_id", "parent_supervisor_id", "valid_from", "valid_to"]
    stake_fields = [
        "held_id", "holder_enterprise_id", "holder_supervisor_id", "holder_party_id", "pct",
        "valid_from", "valid_to",
    ]  # fmt: skip
    insert_link, link_defaults = _insert_sql(ManagementLink, link_fields)
    insert_stake, stake_defaults = _insert_sql(EquityLink, stake_fields)
    with connection.cursor() as cursor:
        for chunk in _batches(demo_plan.enterprises):
            links, stakes = [], []
            for item in chunk:
                group = item.parent is None
                links.append(
                    (
                        ids[item.index],
                        None if group else ids[item.parent],
                        sup_ids[item.supervisor] if group else None,
                        item.since,
                        item.status_on,
                        *link_defaults,
                    )
                )
                for kind, holder, pct, start in item.holders:
                    stakes.append(
                        (
                            ids[item.index],
                            ids[holder] if kind == "enterprise" else None,
                            sup_ids[holder] if kind == "supervisor" else None,
                            party_ids[holder] if kind == "party" else None,
                            pct,
                            start,
                            item.status_on,
                            *stake_defaults,
                        )
                    )
            cursor.executemany(insert_link, links)
            cursor.executemany(insert_stake, stakes)
