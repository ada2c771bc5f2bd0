"""The demo portfolio: loaded once for the module (it is the same for every test), then read."""

import re
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F, Q
from django.test import override_settings
from django.utils import translation

from guozi.accounts.models import Membership, User
from guozi.audit.models import AuditEvent
from guozi.audit.services import snapshot
from guozi.lib.errors import DomainError
from guozi.lib.uscc import check_uscc
from guozi.registry import demo, demo_data, selectors
from guozi.registry.models import Enterprise, EquityLink, ManagementLink, Supervisor

TODAY = date(2026, 8, 28)
MERGED_ON = demo.MERGER[2]
MOVED_ON = demo.TRANSFER[3]
DAYS = [
    date(2015, 1, 1),
    date(2019, 6, 30),
    date(2021, 8, 19),
    MERGED_ON,
    date(2023, 9, 30),
    date(2025, 2, 28),
    MOVED_ON,
    TODAY,
]
CITIES = {code for code, _zh, _en in demo_data.CITIES}
FAST_HASHING = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    """The default demo, committed for the module and removed after it."""
    with django_db_blocker.unblock():
        with override_settings(PASSWORD_HASHERS=FAST_HASHING, GUOZI_TODAY="2026-08-28"):
            out = StringIO()
            try:
                call_command("load_demo", "--months", "0", stdout=out)
                yield SimpleNamespace(output=out.getvalue())
            finally:
                demo.reset()
                AuditEvent.objects.all().delete()


@pytest.fixture
def demo_db(loaded, db, settings):
    settings.GUOZI_TODAY = "2026-08-28"
    return loaded


def by_short(short_name: str) -> Enterprise:
    return Enterprise.objects.get(short_name=short_name)


def open_at(queryset, day: date):
    return queryset.filter(valid_from__lte=day).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=day)
    )


def subtree_ids(enterprise: Enterprise, day: date) -> set[int]:
    return {row[0] for row in selectors.subtree(enterprise.id, day)}


def export(day: date = TODAY) -> list[tuple]:
    """(identifier, Chinese name, management parent, the parent's %) for every enterprise."""
    names = {e.id: e.identifier for e in Enterprise.objects.all()}
    supervisors = dict(Supervisor.objects.values_list("id", "code"))
    rows = []
    parents = {link.child_id: link for link in open_at(ManagementLink.objects.all(), day)}
    stakes = {}
    for stake in open_at(EquityLink.objects.all(), day):
        holder = stake.holder_enterprise_id or ("sup", stake.holder_supervisor_id)
        stakes[(stake.held_id, holder)] = stake.pct
    for enterprise in Enterprise.objects.all():
        link = parents.get(enterprise.id)
        parent, pct = None, None
        if link is not None:
            holder = link.parent_id or ("sup", link.parent_supervisor_id)
            parent = (
                names[link.parent_id] if link.parent_id else supervisors[link.parent_supervisor_id]
            )
            pct = stakes.get((enterprise.id, holder))
        rows.append((enterprise.identifier, enterprise.name_zh, parent, pct))
    return sorted(rows, key=lambda row: tuple(str(value) for value in row))


# --- the plan ------------------------------------------------------------------------------


def plan_rows(plan):
    return [
        (item.uscc, item.foreign_reg_no, item.name_zh, item.parent, tuple(item.holders))
        for item in plan.enterprises
    ]


def test_the_plan_is_the_same_for_a_seed_and_differs_for_another():
    first = demo.plan(seed=7, total=600)
    again = demo.plan(seed=7, total=600)
    other = demo.plan(seed=8, total=600)
    assert plan_rows(first) == plan_rows(again)
    assert first.users == again.users
    assert plan_rows(first) != plan_rows(other)
    assert len(first.enterprises) == 600


def test_a_plan_too_small_is_refused():
    with translation.override("en"), pytest.raises(DomainError, match="at least 200"):
        demo.plan(total=demo.MIN_TOTAL - 1)


def test_every_industry_and_region_of_the_data_exists():
    from guozi.lib import codetables

    codes = {stem[2] for stems in demo_data.STEMS.values() for stem in stems}
    codes |= {stem[2] for stem in demo_data.COMMON_STEMS + demo_data.HOTEL_STEMS}
    codes |= {row[7] for row in demo_data.GROUPS} | {row[7] for row in demo_data.MUNICIPAL_GROUPS}
    codes |= {row[5] for row in demo_data.CENTRAL}
    codes |= {template[3] for rows in demo_data.OVERSEAS.values() for template in rows}
    for code in codes:
        assert codetables.normalise_industry_code(code) == code, code
    places = [row[0] for row in demo_data.CITIES + demo_data.OTHER_PLACES]
    places += [row[4] for row in demo_data.CENTRAL]
    for code in places:
        assert codetables.region(code) is not None and codetables.region(code).current, code


# --- the registry ----------------------------------------------------------------------------


def test_counts_are_in_the_expected_ranges(demo_db):
    assert Enterprise.objects.count() == demo.DEFAULT_TOTAL
    levels = Counter(Enterprise.objects.values_list("ownership_level", flat=True))
    assert 1350 <= levels["provincial"] <= 1450
    assert 30 <= levels["municipal"] <= 100
    assert 10 <= levels["central"] <= 40
    ln = Supervisor.objects.get(code="ln")
    own_groups = selectors.children_at(date(2021, 8, 19), supervisor_id=ln.id).filter(
        portfolio="own"
    )
    assert own_groups.count() == len(demo_data.GROUPS)
    for code in ("sy", "dl"):
        supervisor = Supervisor.objects.get(code=code)
        assert supervisor.parent_id == ln.id and supervisor.level == "municipal"
        groups = selectors.children_at(TODAY, supervisor_id=supervisor.id)
        assert groups.count() >= 3
        assert not groups.exclude(ownership_level="municipal").exists()
    assert ln.classes.count() == 3


def test_every_uscc_is_valid_and_regions_are_current_counties(demo_db):
    codes = list(Enterprise.objects.exclude(uscc=None).values_list("uscc", "region_code"))
    assert len(codes) > 1400
    for code, region in codes:
        result = check_uscc(code)
        assert result.ok and not result.warnings, (code, result.errors)
        assert code[2:8] == region
        assert region == "100000" or not region.endswith("01"), region
    bodies = Counter(code[8:16] for code, _ in codes)
    assert bodies.most_common(1)[0][1] == 1


def test_overseas_subsidiaries_have_a_foreign_number_and_no_uscc(demo_db):
    overseas = Enterprise.objects.filter(uscc=None)
    assert overseas.count() >= 5
    assert {"HK", "SG", "DE"} <= set(overseas.values_list("foreign_country", flat=True))
    for enterprise in overseas:
        assert enterprise.foreign_reg_no and enterprise.region_code == ""
        assert enterprise.name_zh.endswith("（演示）") and enterprise.name_en.endswith("(demo)")


def test_names_are_marked_as_demo_and_unique(demo_db):
    names = list(Enterprise.objects.values_list("name_zh", "name_en", "short_name"))
    assert all(zh.endswith(("（演示）", "（央企，演示）")) for zh, _en, _short in names)
    assert all(en.endswith(("(demo)", "(central SOE, demo)")) for _zh, en, _short in names)
    assert len({zh for zh, _en, _short in names}) == len(names)
    assert len({short for _zh, _en, short in names}) == len(names)


def test_the_fourteen_cities_are_covered(demo_db):
    found = set(Enterprise.objects.values_list("city_code", flat=True))
    assert CITIES <= found
    groups = Enterprise.objects.filter(
        id__in=ManagementLink.objects.filter(parent_supervisor__code="ln").values("child_id"),
        portfolio="own",
    )
    assert set(groups.values_list("city_code", flat=True)) == CITIES


def test_established_dates_span_the_decades_and_the_tree_starts_in_2015(demo_db):
    years = [day.year for day in Enterprise.objects.values_list("established_on", flat=True)]
    assert min(years) <= 1955 and max(years) >= 2021
    assert all(1950 <= year <= 2023 for year in years)
    first = ManagementLink.objects.order_by("valid_from").first()
    assert first.valid_from == demo.TREE_FLOOR
    late = Enterprise.objects.filter(established_on__gt=demo.TREE_FLOOR).first()
    assert late.parent_links.order_by("valid_from").first().valid_from >= late.established_on


def test_one_management_parent_per_enterprise_at_any_date(demo_db):
    links = defaultdict(list)
    for link in ManagementLink.objects.all():
        links[link.child_id].append(link)
    enterprises = {e.id: e for e in Enterprise.objects.all()}
    for day in DAYS:
        for enterprise_id, enterprise in enterprises.items():
            current = [
                link
                for link in links[enterprise_id]
                if link.valid_from <= day and (link.valid_to is None or link.valid_to > day)
            ]
            started = min(link.valid_from for link in links[enterprise_id]) <= day
            ended = enterprise.status_on is not None and enterprise.status_on <= day
            assert len(current) == (1 if started and not ended else 0), (enterprise, day)


def test_groups_have_two_to_four_levels_of_subsidiaries(demo_db):
    ln = Supervisor.objects.get(code="ln")
    depths = Counter()
    deepest = []
    for group in selectors.children_at(TODAY, supervisor_id=ln.id).filter(portfolio="own"):
        rows = selectors.subtree(group.id, TODAY)
        depths.update(depth for _id, depth in rows)
        deepest.append(max(depth for _id, depth in rows))
    assert {1, 2, 3, 4} <= set(depths)
    assert min(deepest) >= 2 and max(deepest) == 4
    chain = selectors.chain_up(Enterprise.objects.get(id=_deepest(ln)), TODAY)
    assert chain.level == 5 and [s.code for s in chain.supervisors] == ["ln"]


def _deepest(ln) -> int:
    for group in selectors.children_at(TODAY, supervisor_id=ln.id):
        for enterprise_id, depth in selectors.subtree(group.id, TODAY):
            if depth == 4:
                return enterprise_id
    raise AssertionError("no level-5 enterprise")


def test_the_merger_of_2021(demo_db):
    into_short, absorbed_short, day = demo.MERGER
    into, absorbed = by_short(into_short), by_short(absorbed_short)
    moved = list(selectors.children_at(date(2021, 8, 19), parent_id=absorbed.id))
    assert len(moved) >= 3
    before_into = subtree_ids(into, date(2021, 8, 19))
    after_into = subtree_ids(into, day)
    before_absorbed = subtree_ids(absorbed, date(2021, 8, 19))
    below_moved = set().union(*(subtree_ids(child, date(2021, 8, 19)) for child in moved))
    assert below_moved <= before_absorbed and not below_moved & before_into
    assert below_moved <= after_into
    assert subtree_ids(absorbed, day) == {absorbed.id} == subtree_ids(absorbed, TODAY)
    assert absorbed.status == "merged" and absorbed.status_on == day
    assert absorbed.merged_into_id == into.id
    assert selectors.parent_link_at(absorbed.id, date(2021, 8, 19)).parent_supervisor.code == "ln"
    assert selectors.parent_link_at(absorbed.id, day) is None
    assert not selectors.holders_at(absorbed, day).exists()
    for child in moved:
        old = selectors.holders_at(child, date(2021, 8, 19)).get(holder_enterprise=absorbed)
        new = selectors.holders_at(child, day).get(holder_enterprise=into)
        assert new.pct == old.pct and new.valid_from == day
        assert selectors.chain_up(child, day).enterprises[-1].id == into.id


def test_the_transfer_of_2025(demo_db):
    moved_short, source_short, target_short, day = demo.TRANSFER
    moved, source, target = by_short(moved_short), by_short(source_short), by_short(target_short)
    below = subtree_ids(moved, day)
    assert len(below) >= 2
    assert below <= subtree_ids(source, date(2025, 2, 28))
    assert not below & subtree_ids(source, day)
    assert below <= subtree_ids(target, day)
    assert not below & subtree_ids(target, date(2025, 2, 28))
    assert selectors.parent_link_at(moved.id, date(2025, 2, 28)).parent_id == source.id
    assert selectors.parent_link_at(moved.id, day).parent_id == target.id
    stake = selectors.holders_at(moved, day).get()
    assert stake.holder_enterprise_id == target.id and stake.pct == 100
    assert selectors.holders_at(moved, date(2025, 2, 28)).get().holder_enterprise_id == source.id


def test_the_joint_venture_and_the_minority_stakes(demo_db):
    venture_short, major_short, minor_short = demo.JOINT_VENTURE
    venture = by_short(venture_short)
    holders = {s.holder_enterprise.short_name: s.pct for s in selectors.holders_at(venture, TODAY)}
    assert holders == {major_short: Decimal(51), minor_short: Decimal(49)}
    assert selectors.parent_link_at(venture.id, TODAY).parent.short_name == major_short
    parents = {
        link.child_id: link.parent_id for link in open_at(ManagementLink.objects.all(), TODAY)
    }
    minority = [
        stake
        for stake in open_at(EquityLink.objects.exclude(holder_enterprise=None), TODAY)
        if parents.get(stake.held_id) != stake.holder_enterprise_id
    ]
    assert len(minority) >= 4  # the venture's 49% and at least three 参股 stakes of 20%
    assert sum(1 for stake in minority if stake.pct == 20) >= 3


def test_outside_holders_and_listed_companies(demo_db):
    fund = EquityLink.objects.filter(holder_party__name_zh="全国社会保障基金理事会")
    assert fund.exists() and fund.first().holder_party.kind == "state"
    assert fund.filter(pct=10).count() >= 5  # groups with 10% transferred to the fund
    public = EquityLink.objects.filter(holder_party__name_zh="社会公众股")
    assert public.exists() and public.first().holder_party.kind == "non_state"
    listed = Enterprise.objects.exclude(listed_codes="")
    assert listed.count() >= 5
    for enterprise in listed:
        assert re.fullmatch(r"(60[013]\d{3}\.SH|00[02]\d{3}\.SZ)", enterprise.listed_codes)
        assert public.filter(held=enterprise).exists()


def test_equity_never_exceeds_100_percent(demo_db):
    stakes = list(EquityLink.objects.all())
    assert all(0 <= stake.pct <= 100 for stake in stakes)
    for day in DAYS:
        totals = defaultdict(Decimal)
        for stake in stakes:
            if stake.valid_from <= day and (stake.valid_to is None or stake.valid_to > day):
                totals[stake.held_id] += stake.pct
        assert totals and max(totals.values()) <= 100, day


def test_central_enterprises_are_observed_roots_under_liaoning(demo_db):
    central = Enterprise.objects.filter(ownership_level="central")
    assert not central.exclude(portfolio="observed").exists()
    assert not Enterprise.objects.filter(portfolio="observed").exclude(ownership_level="central")
    roots = central.filter(parent_links__parent_supervisor__code="ln")
    assert roots.count() >= 4
    assert roots.filter(region_code="100000").exists()
    assert all("央企" in name for name in central.values_list("name_zh", flat=True))


def test_functional_classes_follow_the_groups(demo_db):
    shorts = ["东溟港口", "阜昇能源", "清泽水务", "鑫辽钢铁"]
    classes = dict(
        Enterprise.objects.filter(short_name__in=shorts).values_list(
            "short_name", "function_class__name_zh"
        )
    )
    assert classes == dict(
        zip(shorts, ["商业二类", "商业二类", "商业二类", "商业一类"], strict=True)
    )
    public = Counter(
        Enterprise.objects.filter(function_class__code="public_welfare").values_list(
            "industry_code", flat=True
        )
    )
    assert {"D46", "N78", "G54"} <= set(public)  # water, scenic areas, public transport
    classified = Enterprise.objects.exclude(function_class=None)
    assert not classified.exclude(function_class__supervisor=F("supervisor")).exists()
    assert classified.filter(ownership_level="municipal").count() >= 30
    assert not Enterprise.objects.filter(ownership_level="central").exclude(function_class=None)


def test_one_audit_event_per_enterprise_from_the_cli(demo_db):
    events = AuditEvent.objects.filter(object_type="registry.enterprise", action="create")
    assert events.count() == Enterprise.objects.count()
    assert not events.exclude(channel="cli").exists()
    assert not events.exclude(actor=None).exists()
    untouched = Enterprise.objects.filter(status="active").order_by("id")[10]
    event = events.get(enterprise_id=untouched.id)
    assert event.after == snapshot(untouched)


def test_demo_users_have_their_roles(demo_db):
    steel = by_short(demo.REPORTER_GROUP)
    for name, role, node, password in demo_data.USERS:
        user = User.objects.get(username=name)
        assert user.check_password(password)
        membership = Membership.objects.get(user=user)
        assert membership.role == role
        if node in ("ln", "sy"):
            assert membership.supervisor.code == node
        elif node == "group":
            assert membership.enterprise_id == steel.id
        else:
            assert selectors.parent_link_at(membership.enterprise_id, TODAY).parent_id == steel.id
        assert name in demo_db.output and password in demo_db.output
    reporter = User.objects.get(username="sub_reporter")
    seen = set(selectors.visible_enterprises(reporter).values_list("id", flat=True))
    node = Membership.objects.get(user=reporter).enterprise
    assert seen == subtree_ids(node, TODAY) and len(seen) >= 2
    sy_analyst = User.objects.get(username="sy_analyst")
    assert set(
        selectors.visible_enterprises(sy_analyst).values_list("supervisor__code", flat=True)
    ) == {"sy"}


def test_the_command_prints_the_history(demo_db):
    assert "鑫辽钢铁" in demo_db.output and "2021-08-20" in demo_db.output
    assert "盛元酒店管理" in demo_db.output and "2025-03-01" in demo_db.output
    assert "GUOZI_TODAY" not in demo_db.output


# --- running it again ------------------------------------------------------------------------


def test_a_second_run_without_reset_fails_and_changes_nothing(demo_db):
    counts = (Enterprise.objects.count(), User.objects.count(), AuditEvent.objects.count())
    with translation.override("en"), pytest.raises(CommandError, match="already holds"):
        call_command("load_demo", "--months", "0", stdout=StringIO())
    assert (Enterprise.objects.count(), User.objects.count(), AuditEvent.objects.count()) == counts


def test_the_same_seed_gives_the_same_registry(demo_db, settings):
    settings.PASSWORD_HASHERS = FAST_HASHING
    first = export()
    call_command("load_demo", "--months", "0", "--reset", stdout=StringIO())
    assert Supervisor.objects.count() == 3
    assert export() == first
    call_command("load_demo", "--months", "0", "--reset", "--seed", "7", stdout=StringIO())
    assert export() != first


def test_scale_makes_a_registry_of_that_size(demo_db, settings):
    settings.PASSWORD_HASHERS = FAST_HASHING
    settings.GUOZI_TODAY = ""
    out = StringIO()
    with translation.override("en"):
        call_command("load_demo", "--months", "0", "--reset", "--scale", "2000", stdout=out)
    assert Enterprise.objects.count() == 2000
    assert "GUOZI_TODAY is not set" in out.getvalue() and "2026-08-28" in out.getvalue()
    assert "2000 enterprises" in out.getvalue()
    absorbed = by_short(demo.MERGER[1])
    assert absorbed.status == "merged"
    assert User.objects.filter(username__in=demo.DEMO_USERNAMES).count() == len(demo_data.USERS)


def test_a_scale_below_the_minimum_is_refused(demo_db):
    with translation.override("en"), pytest.raises(CommandError, match="at least 200"):
        call_command("load_demo", "--months", "0", "--reset", "--scale", "50", stdout=StringIO())
    assert Enterprise.objects.count() == demo.DEFAULT_TOTAL
