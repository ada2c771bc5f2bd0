import csv
from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation
from openpyxl import Workbook

from guozi.audit.models import AuditEvent
from guozi.lib.context import set_channel
from guozi.lib.uscc import make_uscc
from guozi.registry import selectors, services
from guozi.registry.exports import COLUMNS, export_enterprises, export_rows
from guozi.registry.imports import (
    ImportResult,
    UnreadableFile,
    count_rows,
    import_enterprises,
    import_equity_links,
)
from guozi.registry.models import (
    Enterprise,
    EnterpriseStatus,
    EquityLink,
    ManagementLink,
    OutsideParty,
    OwnershipLevel,
)

HEADER = [
    "id",
    "uscc",
    "foreign_reg_no",
    "foreign_country",
    "name_zh",
    "name_en",
    "short_name",
    "parent",
    "ownership_pct",
    "supervisor",
    "region_code",
    "industry_code",
    "function_class",
    "ownership_level",
    "listed_code",
    "established_on",
    "status",
]
DAY = date(2026, 9, 1)


@pytest.fixture(autouse=True)
def english(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with translation.override("en"):
        yield


def code(n: int, region: str = "210100") -> str:
    return make_uscc("9", "1", region, f"T{n:07d}")


def row(**values) -> dict:
    base = {
        "name_zh": "测试企业有限公司",
        "supervisor": "ln",
        "region_code": "210100",
        "industry_code": "C31",
        "function_class": "commercial_competitive",
        "ownership_level": "provincial",
        "status": "active",
    }
    return {**base, **values}


def as_row(enterprise, day=DAY, **changes) -> dict:
    """The enterprise as the export writes it, with `changes`."""
    (values,) = export_rows(Enterprise.objects.filter(id=enterprise.id), day)
    return {**dict(zip(COLUMNS, values, strict=True)), **changes}


def write_xlsx(path, rows, header=HEADER):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "企业"
    sheet.append(header)
    for values in rows:
        sheet.append([values.get(name) for name in header])
    workbook.save(path)
    return path


def write_csv(path, rows, header=HEADER, encoding="utf-8"):
    with open(path, "w", encoding=encoding, newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        for values in rows:
            writer.writerow(["" if values.get(n) is None else values.get(n) for n in header])
    return path


def run(tmp_path, rows, *, header=HEADER, name="enterprises.xlsx", **options) -> ImportResult:
    path = tmp_path / name
    if name.endswith(".csv"):
        write_csv(path, rows, header, options.pop("encoding", "utf-8"))
    else:
        write_xlsx(path, rows, header)
    options.setdefault("acting_user", None)
    options.setdefault("valid_from", DAY)
    return import_enterprises(path=path, **options)


def only_error(result: ImportResult):
    assert len(result.errors) == 1, [str(e) for e in result.errors]
    return result.errors[0]


# --- the happy paths ------------------------------------------------------------------------


def test_it_creates_enterprises_with_parents_after_children(cast, tmp_path):
    set_channel("cli")
    rows = [
        row(uscc=code(2), name_zh="子公司", parent=code(1), ownership_pct=51),
        row(uscc=code(3), name_zh="孙公司", parent=code(2), ownership_pct="100"),
        row(uscc=code(1), name_zh="新集团", parent="", ownership_pct=100, short_name="新集"),
        row(foreign_reg_no="HRB 123", foreign_country="de", name_zh="德国子公司", parent=code(1)),
    ]
    before_events = AuditEvent.objects.count()
    result = run(tmp_path, rows, acting_user=cast.analyst)
    assert result.ok, [str(e) for e in result.errors]
    assert result.counts == {"created": 4, "updated": 0, "unchanged": 0}
    assert result.written
    group = Enterprise.objects.get(uscc=code(1))
    child = Enterprise.objects.get(uscc=code(2))
    grandchild = Enterprise.objects.get(uscc=code(3))
    foreign = Enterprise.objects.get(foreign_reg_no="HRB 123")
    assert foreign.foreign_country == "DE"
    assert group.city_code == "210100" and group.industry_section == "C"
    assert "xjt" in group.search_text  # derived fields, as the services make them
    assert selectors.parent_link_at(group.id, DAY).parent_supervisor_id == cast.ln.id
    assert selectors.parent_link_at(grandchild.id, DAY).parent_id == child.id
    assert selectors.parent_link_at(foreign.id, DAY).parent_id == group.id
    assert selectors.parent_link_at(child.id, date(2026, 8, 31)) is None
    assert [s.pct for s in selectors.holders_at(child, DAY)] == [Decimal("51")]
    assert selectors.holders_at(group, DAY).get().holder_supervisor_id == cast.ln.id
    assert not selectors.holders_at(foreign, DAY).exists()
    events = AuditEvent.objects.order_by("id")[before_events:]
    assert len(events) == 4
    assert {e.action for e in events} == {"create"}
    assert {e.channel for e in events} == {"cli"}
    assert {e.actor_id for e in events} == {cast.analyst.id}
    event = AuditEvent.objects.get(enterprise_id=child.id)
    assert event.after["name_zh"] == "子公司" and event.after["ownership_pct"] == "51"
    assert event.after["parent"] == code(1)


def test_a_dry_run_plans_and_writes_nothing(cast, tmp_path):
    rows = [row(uscc=code(1), name_zh="新集团"), as_row(cast.a, name_en="X", short_name="")]
    count = Enterprise.objects.count()
    result = run(tmp_path, rows, dry_run=True)
    assert result.ok and not result.written
    assert result.counts == {"created": 1, "updated": 1, "unchanged": 0}
    assert Enterprise.objects.count() == count
    assert Enterprise.objects.get(id=cast.a.id).name_en == "Liaoning Steel Group"
    new, changed = result.planned
    assert (new.action, new.row, new.identifier) == ("new", 2, code(1))
    assert (changed.action, changed.row) == ("changed", 3)
    assert [(c.field, c.before, c.after) for c in changed.changes] == [
        ("name_en", "Liaoning Steel Group", "X"),
        ("short_name", "辽钢", ""),
    ]


def test_columns_left_out_take_defaults(cast, tmp_path):
    header = ["uscc", "name_zh", "supervisor"]
    result = run(
        tmp_path,
        [{"uscc": code(5), "name_zh": "大连新公司", "supervisor": "大连市国资委"}],
        header=header,
    )
    assert result.ok, [str(e) for e in result.errors]
    made = Enterprise.objects.get(uscc=code(5))
    assert made.supervisor == cast.dl
    assert (made.status, made.portfolio, made.ownership_level) == ("active", "own", "municipal")
    assert selectors.parent_link_at(made.id, DAY).parent_supervisor_id == cast.dl.id


def test_it_updates_and_audits_before_and_after(cast, tmp_path):
    rows = [as_row(cast.a1, name_zh="辽钢板材股份有限公司", industry_code="32")]
    result = run(tmp_path, rows, acting_user=cast.reviewer)
    assert result.ok, [str(e) for e in result.errors]
    assert result.counts == {"created": 0, "updated": 1, "unchanged": 0}
    cast.a1.refresh_from_db()
    assert cast.a1.name_zh == "辽钢板材股份有限公司" and cast.a1.industry_code == "C32"
    assert "lggfyxgs" in cast.a1.search_text.replace(" ", "") or "gufen" in cast.a1.search_text
    event = AuditEvent.objects.filter(enterprise_id=cast.a1.id, action="update").latest("id")
    assert event.before == {"name_zh": "辽钢板材有限公司", "industry_code": "C31"}
    assert event.after == {"name_zh": "辽钢板材股份有限公司", "industry_code": "C32"}
    assert event.actor == cast.reviewer
    # Nothing about the tree changed.
    assert selectors.parent_link_at(cast.a1.id, DAY).valid_from == date(2015, 1, 1)


def test_rows_without_id_update_by_uscc_and_unchanged_rows_are_counted(cast, tmp_path):
    rows = [as_row(cast.b1, id=None), as_row(cast.b, id=None)]
    result = run(tmp_path, rows)
    assert result.counts == {"created": 0, "updated": 0, "unchanged": 2}
    assert result.planned == []


def test_a_parent_change_closes_the_old_link_and_moves_the_stake(cast, tmp_path):
    rows = [as_row(cast.a2, parent=cast.b.uscc)]
    header = [h for h in HEADER if h != "ownership_pct"]
    result = run(tmp_path, rows, header=header)
    assert result.ok, [str(e) for e in result.errors]
    assert result.counts["updated"] == 1
    assert [(c.field, c.before, c.after) for c in result.planned[0].changes] == [
        ("parent", cast.a.uscc, cast.b.uscc),
        ("ownership_pct", "70", "70"),
    ]
    old, new = ManagementLink.objects.filter(child=cast.a2).order_by("valid_from")
    assert old.parent_id == cast.a.id and old.valid_to == DAY
    assert new.parent_id == cast.b.id and new.valid_from == DAY and new.valid_to is None
    assert selectors.parent_link_at(cast.a2.id, date(2026, 8, 31)).parent_id == cast.a.id
    stake = selectors.holders_at(cast.a2, DAY).get()
    assert (stake.holder_enterprise_id, stake.pct) == (cast.b.id, Decimal("70"))
    old_stake = EquityLink.objects.get(held=cast.a2, holder_enterprise=cast.a)
    assert old_stake.valid_to == DAY
    event = AuditEvent.objects.filter(enterprise_id=cast.a2.id, action="update").latest("id")
    assert event.before["parent"] == cast.a.uscc and event.after["parent"] == cast.b.uscc
    assert event.before["ownership_pct"] == "70" and event.after["ownership_pct"] == "70"


def test_a_changed_stake_ends_the_old_one(cast, tmp_path):
    rows = [as_row(cast.a2, ownership_pct="65.5")]
    result = run(tmp_path, rows)
    assert result.ok and result.counts["updated"] == 1
    assert selectors.holders_at(cast.a2, DAY).get().pct == Decimal("65.5")
    assert selectors.holders_at(cast.a2, date(2026, 8, 31)).get().pct == Decimal("70")
    assert selectors.parent_link_at(cast.a2.id, DAY).valid_from == date(2015, 1, 1)


def test_chinese_headers_and_names_are_accepted(cast, tmp_path):
    header = [
        "统一社会信用代码",
        "企业名称",
        "上级企业统一社会信用代码",
        "持股比例（%）",
        "国资监管机构",
        "行政区划代码",
        "行业代码",
        "功能分类",
        "企业层级",
        "状态",
        "成立日期",
        "英文名称",
        "简称",
    ]
    rows = [
        {
            "统一社会信用代码": code(7),
            "企业名称": "中文表头公司",
            "上级企业统一社会信用代码": cast.a.uscc,
            "持股比例（%）": "60%",
            "国资监管机构": "辽宁省国资委",
            "行政区划代码": 210102,
            "行业代码": "31",
            "功能分类": "商业二类",
            "企业层级": "省属企业",
            "状态": "关停",
            "成立日期": "2001/2/3",
            "英文名称": "",
            "简称": "中文",
        }
    ]
    result = run(tmp_path, rows, header=header)
    # Not accepted names; the errors say which are.
    assert {e.column for e in result.errors} == {"企业层级", "状态"}
    assert "provincial" in next(e for e in result.errors if e.column == "企业层级").reason
    rows[0].update({"企业层级": "provincial", "状态": "active"})
    result = run(tmp_path, rows, header=header)
    assert result.ok, [str(e) for e in result.errors]
    made = Enterprise.objects.get(uscc=code(7))
    assert made.function_class.code == "commercial_strategic"
    assert made.established_on == date(2001, 2, 3) and made.region_code == "210102"
    assert made.industry_code == "C31"
    assert selectors.holders_at(made, DAY).get().pct == Decimal("60")


def test_chinese_choice_labels_are_accepted(cast, tmp_path):
    with translation.override("zh-hans"):
        level, status = str(OwnershipLevel.PROVINCIAL.label), str(EnterpriseStatus.ACTIVE.label)
    rows = [row(uscc=code(8), ownership_level=level, status=status, portfolio="own")]
    result = run(tmp_path, rows, header=[*HEADER, "portfolio"])
    assert result.ok, [str(e) for e in result.errors]
    made = Enterprise.objects.get(uscc=code(8))
    assert (made.ownership_level, made.status) == ("provincial", "active")


def test_gb18030_csv_is_read(cast, tmp_path):
    rows = [row(uscc=code(9), name_zh="国标编码企业有限公司")]
    result = run(tmp_path, rows, name="gbk.csv", encoding="gb18030")
    assert result.ok, [str(e) for e in result.errors]
    assert Enterprise.objects.filter(name_zh="国标编码企业有限公司").exists()


def test_utf8_csv_with_bom_is_read(cast, tmp_path):
    result = run(tmp_path, [row(uscc=code(10))], name="bom.csv", encoding="utf-8-sig")
    assert result.ok and result.created == 1


def test_a_retired_region_in_a_uscc_is_a_warning(cast, tmp_path):
    retired = code(11, region="210122")  # 辽中县, listed until 2016
    result = run(tmp_path, [row(uscc=retired)])
    assert result.ok and result.created == 1
    (warning,) = result.warnings
    assert (warning.row, warning.column) == (2, "uscc")
    assert "retired" in warning.reason and "210122" in warning.reason


def test_a_moderate_file_goes_through_the_bulk_path(cast, tmp_path):
    rows = [row(uscc=code(100), name_zh="大集团")]
    rows += [
        row(
            uscc=code(100 + n),
            name_zh=f"子公司{n}",
            parent=code(100 + (n - 1) // 10 * 10 or 100),
            ownership_pct=80,
        )
        for n in range(1, 3000)
    ]
    seen = []
    result = run(tmp_path, rows, name="big.csv", progress=lambda *a: seen.append(a))
    assert result.ok, [str(e) for e in result.errors[:3]]
    assert result.created == 3000 and len(result.planned) == 200
    assert Enterprise.objects.filter(uscc__in=[code(100 + n) for n in range(3000)]).count() == 3000
    top = Enterprise.objects.get(uscc=code(100))
    assert len(selectors.subtree(top.id, DAY)) == 3000
    created = AuditEvent.objects.filter(action="create", object_type="registry.enterprise")
    assert created.count() >= 3000
    assert seen[-1][0] == seen[-1][1]


def test_each_row_keeps_its_own_values_links_and_event_across_insert_statements(cast, tmp_path):
    # 101 rows: more than one multi-row INSERT statement holds, and not a multiple of one.
    rows = [row(uscc=code(500), name_zh="总公司", short_name="总")]
    rows += [
        row(
            uscc=code(500 + n),
            name_zh=f"分公司{n}",
            name_en=f"Branch {n}",
            parent=code(500 + n - 1),
            ownership_pct=n % 90 + 10,
            established_on=date(2000, 1, 1 + n % 28),
        )
        for n in range(1, 101)
    ]
    result = run(tmp_path, rows, name="chain.csv", acting_user=cast.analyst)
    assert result.ok, [str(e) for e in result.errors[:3]]
    made = {e.uscc: e for e in Enterprise.objects.filter(uscc__startswith=code(500)[:8])}
    made = {uscc: made[uscc] for uscc in (code(500 + n) for n in range(101))}
    for n in range(1, 101):
        enterprise = made[code(500 + n)]
        assert (enterprise.name_zh, enterprise.name_en) == (f"分公司{n}", f"Branch {n}")
        assert enterprise.established_on == date(2000, 1, 1 + n % 28)
        assert f"branch {n}" in enterprise.search_text
        link = selectors.parent_link_at(enterprise.id, DAY)
        assert link.parent_id == made[code(500 + n - 1)].id
        (stake,) = selectors.holders_at(enterprise, DAY)
        assert (stake.holder_enterprise_id, stake.pct) == (link.parent_id, Decimal(n % 90 + 10))
        event = AuditEvent.objects.get(enterprise_id=enterprise.id)
        assert (event.object_id, event.object_repr) == (str(enterprise.id), f"Branch {n}")
        assert event.after["id"] == enterprise.id and event.after["parent"] == code(500 + n - 1)
    # The ids follow the rows of the file.
    assert [made[code(500 + n)].id for n in range(101)] == sorted(e.id for e in made.values())


def test_new_ids_never_take_those_of_deleted_enterprises(cast, tmp_path):
    result = run(tmp_path, [row(uscc=code(600), name_zh="将注销企业")])
    assert result.ok, [str(e) for e in result.errors]
    gone = Enterprise.objects.get(uscc=code(600))
    Enterprise.objects.filter(id=gone.id).delete()
    highest = Enterprise.objects.order_by("-id").values_list("id", flat=True).first()
    assert highest < gone.id
    result = run(tmp_path, [row(uscc=code(601), name_zh="新企业")])
    assert result.ok, [str(e) for e in result.errors]
    made = Enterprise.objects.get(uscc=code(601))
    assert made.id > gone.id
    assert AuditEvent.objects.get(enterprise_id=made.id, action="create").after["id"] == made.id
    # The database's own counter went past the ids the import took.
    later = services.enterprise_create(
        acting_user=None,
        fields={
            "uscc": code(602),
            "name_zh": "后来登记的企业",
            "supervisor": cast.ln,
            "region_code": "210100",
            "industry_code": "C31",
            "ownership_level": "provincial",
        },
        parent_supervisor=cast.ln,
        valid_from=DAY,
    )
    assert later.id > made.id


# --- every error kind -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, rule",
    [
        ("91210100T000001", "length"),
        (code(1)[:-1] + ("0" if code(1)[-1] != "0" else "1"), "check character"),
        (code(1)[:16] + ("0" if code(1)[16] != "0" else "1") + code(1)[17], "organisation code"),
        (code(1)[:5] + "I" + code(1)[6:], "not allowed"),
        ("Z" + code(1)[1:], "registration authority"),
        ("25" + code(1)[2:], "entity category"),
        ("91999999" + code(1)[8:], "region"),
    ],
)
def test_a_bad_uscc_names_the_rule(cast, tmp_path, value, rule):
    error = only_error(run(tmp_path, [row(uscc=value)]))
    assert (error.row, error.column, error.value) == (2, "uscc", value)
    assert rule in error.reason
    assert not Enterprise.objects.filter(name_zh="测试企业有限公司").exists()


def test_missing_identifier(cast, tmp_path):
    error = only_error(run(tmp_path, [row(uscc="")]))
    assert (error.row, error.column) == (2, "uscc")
    assert "needs a USCC, or a foreign registration number" in error.reason


def test_foreign_number_without_country(cast, tmp_path):
    error = only_error(run(tmp_path, [row(foreign_reg_no="12345")]))
    assert (error.row, error.column) == (2, "foreign_country")
    assert "two-letter ISO 3166" in error.reason


def test_duplicate_identifier_within_the_file(cast, tmp_path):
    result = run(tmp_path, [row(uscc=code(1)), row(uscc=code(2)), row(uscc=code(1))])
    error = only_error(result)
    assert (error.row, error.column, error.value) == (4, "uscc", code(1))
    assert "already in row 2" in error.reason


def test_uscc_registered_to_another_enterprise(cast, tmp_path):
    error = only_error(run(tmp_path, [row(id=cast.a.id, uscc=cast.b.uscc, name_zh="甲")]))
    assert (error.row, error.column, error.value) == (2, "uscc", cast.b.uscc)
    assert "already registered to 辽宁港口集团有限公司" in error.reason


def test_unknown_id(cast, tmp_path):
    error = only_error(run(tmp_path, [row(id=999999, uscc=code(1))]))
    assert (error.row, error.column, error.value) == (2, "id", "999999")
    assert "Leave id blank" in error.reason
    error = only_error(run(tmp_path, [row(id="abc", uscc=code(1))]))
    assert (error.column, error.value) == ("id", "abc")
    assert "whole number" in error.reason


def test_unknown_parent(cast, tmp_path):
    error = only_error(run(tmp_path, [row(uscc=code(1), parent=code(50))]))
    assert (error.row, error.column, error.value) == (2, "parent", code(50))
    assert "internal id, USCC or COUNTRY:registration number" in error.reason


def test_parent_by_id_and_by_foreign_number(cast, tmp_path):
    rows = [
        row(
            foreign_reg_no="SG-1", foreign_country="SG", name_zh="新加坡公司", parent=str(cast.a.id)
        ),
        row(uscc=code(2), parent="sg:SG-1"),
    ]
    result = run(tmp_path, rows)
    assert result.ok, [str(e) for e in result.errors]
    sg = Enterprise.objects.get(foreign_reg_no="SG-1")
    assert selectors.parent_link_at(sg.id, DAY).parent_id == cast.a.id
    made = Enterprise.objects.get(uscc=code(2))
    assert selectors.parent_link_at(made.id, DAY).parent_id == sg.id


def test_parent_cycle_within_the_file(cast, tmp_path):
    rows = [row(uscc=code(1), parent=code(2)), row(uscc=code(2), parent=code(1)), row(uscc=code(3))]
    result = run(tmp_path, rows)
    assert [(e.row, e.column) for e in result.errors] == [(2, "parent"), (3, "parent")]
    assert "cycle" in result.errors[0].reason
    assert code(1) in result.errors[0].reason and code(2) in result.errors[0].reason


def test_parent_cycle_against_the_database(cast, tmp_path):
    rows = [as_row(cast.a, parent=cast.a11.uscc)]
    error = only_error(run(tmp_path, rows))
    assert (error.row, error.column, error.value) == (2, "parent", cast.a11.uscc)
    assert "cycle" in error.reason and cast.a1.uscc in error.reason


def test_self_parent_is_a_cycle(cast, tmp_path):
    error = only_error(run(tmp_path, [row(uscc=code(1), parent=code(1))]))
    assert error.column == "parent" and "cycle" in error.reason


def test_unknown_supervisor(cast, tmp_path):
    error = only_error(run(tmp_path, [row(uscc=code(1), supervisor="sh")]))
    assert (error.row, error.column, error.value) == (2, "supervisor", "sh")
    assert "ln / 辽宁省国资委" in error.reason


@pytest.mark.parametrize(
    "column, value, accepted",
    [
        ("region_code", "219999", "GB/T 2260"),
        ("region_code", "210122", "not a current"),
        ("industry_code", "C99", "GB/T 4754-2017"),
        ("function_class", "shangye", "commercial_competitive / 商业一类"),
        ("ownership_level", "city", "municipal"),
        ("status", "closed", "deregistered"),
        ("established_on", "18.6.2003x", "YYYY-MM-DD"),
        ("ownership_pct", "120", "outside 0–100"),
        ("ownership_pct", "-1", "outside 0–100"),
        ("ownership_pct", "half", "number from 0 to 100"),
        ("name_zh", "", "required"),
        ("short_name", "长" * 61, "longer than 60"),
        ("name_en", "x" * 201, "longer than 200"),
    ],
)
def test_bad_values_are_errors_that_say_what_is_accepted(cast, tmp_path, column, value, accepted):
    error = only_error(run(tmp_path, [row(uscc=code(1), parent="", **{column: value})]))
    assert (error.row, error.column) == (2, column)
    assert error.value == value[:200]
    assert accepted in error.reason


def test_a_class_of_another_supervisor_is_refused(cast, tmp_path):
    from guozi.registry.models import FunctionClass

    FunctionClass.objects.create(supervisor=cast.dl, code="dl_only", name_zh="大连特类")
    error = only_error(run(tmp_path, [row(uscc=code(1), function_class="大连特类")]))
    assert error.column == "function_class" and "辽宁省国资委" in error.reason


def test_equity_over_100_percent(cast, tmp_path):
    services.equity_link_add(
        acting_user=None, held=cast.a2, holder=cast.b, pct=Decimal("30"), valid_from=DAY
    )
    rows = [as_row(cast.a2, ownership_pct="80")]
    error = only_error(run(tmp_path, rows))
    assert (error.row, error.column, error.value) == (2, "ownership_pct", "80")
    assert "110%" in error.reason and "30% held by others" in error.reason
    rows[0]["ownership_pct"] = "70"
    assert run(tmp_path, rows).ok


def test_equity_counts_later_holders_too(cast, tmp_path):
    services.equity_link_add(
        acting_user=None,
        held=cast.a2,
        holder=cast.b,
        pct=Decimal("30"),
        valid_from=date(2027, 1, 1),
    )
    rows = [as_row(cast.a2, ownership_pct="75")]
    error = only_error(run(tmp_path, rows))
    assert "2027-01-01" in error.reason


def test_two_parents_at_once_is_refused(cast, tmp_path):
    services.management_parent_set(
        acting_user=None, enterprise=cast.a2, parent=cast.b, on=date(2027, 1, 1)
    )
    rows = [as_row(cast.a2, parent=cast.b1.uscc)]
    error = only_error(run(tmp_path, rows))
    assert error.column == "parent" and "2027-01-01" in error.reason


def test_unknown_header_is_a_warning_and_ignored(cast, tmp_path):
    result = run(tmp_path, [row(uscc=code(1), remark="x")], header=[*HEADER, "remark"])
    assert result.ok and result.created == 1
    (warning,) = result.warnings
    assert (warning.row, warning.column) == (1, "remark")
    assert "Unknown column" in warning.reason


def test_missing_required_header_is_an_error(cast, tmp_path):
    header = [h for h in HEADER if h != "name_zh"]
    error = only_error(run(tmp_path, [row(uscc=code(1))], header=header))
    assert (error.row, error.column) == (1, "name_zh") and "required column" in error.reason
    header = ["name_zh", "supervisor"]
    error = only_error(run(tmp_path, [row()], header=header))
    assert "identifier column" in error.reason


def test_an_editor_of_another_supervisor_is_refused(cast, tmp_path):
    result = run(
        tmp_path,
        [row(uscc=code(1)), row(uscc=code(2), supervisor="dl")],
        acting_user=cast.dl_analyst,
    )
    error = only_error(result)
    assert (error.row, error.column) == (2, "supervisor") and "辽宁省国资委" in error.reason
    result = run(tmp_path, [as_row(cast.d, supervisor="ln")], acting_user=cast.dl_analyst)
    assert only_error(result).column == "supervisor"
    assert all(
        e.column == "supervisor"
        for e in run(tmp_path, [row(uscc=code(3))], acting_user=cast.outsider).errors
    )


def test_a_file_with_one_bad_row_writes_nothing(cast, tmp_path):
    rows = [row(uscc=code(n), name_zh=f"企业{n}", parent=cast.a.uscc) for n in range(1, 100)]
    rows.insert(57, row(uscc=code(500), region_code="999999"))
    rows.append(as_row(cast.b, name_zh="改名"))
    tables = (Enterprise, ManagementLink, EquityLink, AuditEvent, OutsideParty)
    counts = [model.objects.count() for model in tables]
    result = run(tmp_path, rows)
    error = only_error(result)
    assert (error.row, error.column) == (59, "region_code")
    assert result.counts == {"created": 0, "updated": 0, "unchanged": 0}
    assert not result.written
    assert [model.objects.count() for model in tables] == counts
    assert Enterprise.objects.get(id=cast.b.id).name_zh == "辽宁港口集团有限公司"


def test_every_error_of_the_file_is_reported(cast, tmp_path):
    rows = [row(uscc="bad"), row(uscc=code(2), supervisor="x"), row(uscc=code(3), status="?")]
    result = run(tmp_path, rows)
    assert [(e.row, e.column) for e in result.errors] == [
        (2, "uscc"),
        (3, "supervisor"),
        (4, "status"),
    ]
    assert str(result.errors[0]).startswith("enterprises.xlsx:企业:2:uscc: bad — ")


def test_rows_are_counted_without_reading_the_sheet(cast, tmp_path):
    rows = [row(uscc=code(n)) for n in range(1, 8)]
    assert count_rows(write_xlsx(tmp_path / "a.xlsx", rows)) == 7  # with a dimension
    book = Workbook(write_only=True)  # openpyxl's write-only mode writes none
    sheet = book.create_sheet()
    for values in [HEADER, *([values.get(h) for h in HEADER] for values in rows)]:
        sheet.append(values)
    book.save(tmp_path / "b.xlsx")
    assert count_rows(tmp_path / "b.xlsx") == 7
    assert count_rows(write_csv(tmp_path / "c.csv", rows)) == 7
    export_enterprises(Enterprise.objects.all(), tmp_path / "d.xlsx", fmt="xlsx")
    assert count_rows(tmp_path / "d.xlsx") == Enterprise.objects.count()
    (tmp_path / "e.xlsx").write_bytes(b"no zip")
    with pytest.raises(UnreadableFile):
        count_rows(tmp_path / "e.xlsx")


def test_an_unreadable_file_is_an_error(cast, tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"not a workbook")
    result = import_enterprises(acting_user=None, path=path)
    assert "cannot be read" in only_error(result).reason
    result = import_enterprises(acting_user=None, path=path, name="x.txt")
    assert ".xlsx and .csv" in only_error(result).reason


# --- equity links ---------------------------------------------------------------------------

EQUITY_HEADER = ["held", "holder", "holder_kind", "pct", "valid_from", "valid_to"]


def run_equity(tmp_path, rows, *, header=EQUITY_HEADER, **options) -> ImportResult:
    path = write_xlsx(tmp_path / "equity.xlsx", rows, header)
    options.setdefault("acting_user", None)
    return import_equity_links(path=path, **options)


def stake(held, holder, pct, start="2020-01-01", end=None, kind=None) -> dict:
    values = {"held": held, "holder": holder, "pct": pct, "valid_from": start, "valid_to": end}
    return {**values, "holder_kind": kind}


def test_equity_links_are_added_with_new_parties(cast, tmp_path):
    set_channel("cli")
    rows = [
        stake(cast.a2.uscc, cast.b.uscc, "20"),
        stake(str(cast.a2.id), "party:全国社会保障基金理事会", "9.5", kind="国有"),
        stake(cast.a2.uscc, "supervisor:ln", "0.5", start=date(2021, 1, 1), end="2022-01-01"),
    ]
    result = run_equity(tmp_path, rows, acting_user=cast.analyst)
    assert result.ok, [str(e) for e in result.errors]
    assert result.counts == {"created": 3, "updated": 0, "unchanged": 0} and result.written
    holders = {link.holder: link.pct for link in selectors.holders_at(cast.a2, date(2021, 1, 1))}
    party = OutsideParty.objects.get(name_zh="全国社会保障基金理事会")
    assert party.kind == "state"
    assert holders == {
        cast.a: Decimal("70"),
        cast.b: Decimal("20"),
        party: Decimal("9.5"),
        cast.ln: Decimal("0.5"),
    }
    link = EquityLink.objects.get(held=cast.a2, holder_supervisor=cast.ln)
    assert (link.valid_from, link.valid_to) == (date(2021, 1, 1), date(2022, 1, 1))
    events = AuditEvent.objects.filter(object_type="registry.equitylink", actor=cast.analyst)
    assert events.count() == 3 and {e.channel for e in events} == {"cli"}
    assert AuditEvent.objects.filter(object_type="registry.outsideparty").count() == 1
    # The same file again: nothing new.
    again = run_equity(tmp_path, rows)
    assert again.counts == {"created": 0, "updated": 0, "unchanged": 3}


def test_equity_over_100_percent_at_any_date_is_refused(cast, tmp_path):
    rows = [
        stake(
            cast.a2.uscc,
            "party:员工持股平台",
            "25",
            start="2020-01-01",
            end="2025-01-01",
            kind="non_state",
        ),
        stake(cast.a2.uscc, cast.b.uscc, "10", start="2024-01-01"),
    ]
    result = run_equity(tmp_path, rows)
    assert [(e.row, e.column) for e in result.errors] == [(2, "pct"), (3, "pct")]
    assert "105%" in result.errors[0].reason and "2024-01-01" in result.errors[0].reason
    assert not OutsideParty.objects.exists()
    assert not EquityLink.objects.filter(held=cast.a2).exclude(holder_enterprise=cast.a).exists()
    rows[1]["valid_from"] = "2025-01-01"
    assert run_equity(tmp_path, rows).ok


@pytest.mark.parametrize(
    "values, column, reason",
    [
        ({"held": "91210100MA0000000X"}, "held", "No enterprise"),
        ({"holder": "91210100MA0000000X"}, "holder", "Unknown holder"),
        ({"holder": "supervisor:sh"}, "holder", "No supervisor"),
        ({"holder": "party:某基金", "holder_kind": None}, "holder_kind", "state (国有)"),
        ({"holder": "party:某基金", "holder_kind": "private"}, "holder_kind", "non_state"),
        ({"pct": "101"}, "pct", "outside 0–100"),
        ({"pct": ""}, "pct", "required"),
        ({"valid_from": ""}, "valid_from", "required"),
        ({"valid_from": "2020-13-01"}, "valid_from", "YYYY-MM-DD"),
        ({"valid_to": "2019-01-01"}, "valid_to", "end after it starts"),
        ({"holder": "A2"}, "holder", "cannot hold itself"),
        ({"holder": "A"}, "holder", "already holds a stake"),
    ],
)
def test_equity_errors_say_what_is_accepted(cast, tmp_path, values, column, reason):
    names = {"A2": cast.a2.uscc, "A": cast.a.uscc}
    values = {k: names.get(v, v) for k, v in values.items()}
    rows = [{**stake(cast.a2.uscc, cast.b.uscc, "5"), **values}]
    error = only_error(run_equity(tmp_path, rows))
    assert (error.row, error.column) == (2, column)
    assert reason in error.reason


def test_equity_import_needs_an_editor_of_the_held(cast, tmp_path):
    rows = [stake(cast.d.uscc, cast.b.uscc, "0"), stake(cast.a2.uscc, cast.b.uscc, "5")]
    error = only_error(run_equity(tmp_path, rows, acting_user=cast.analyst))
    assert (error.row, error.column) == (2, "held") and "大连市国资委" in error.reason


def test_equity_import_missing_header(cast, tmp_path):
    error = only_error(
        run_equity(
            tmp_path, [stake(cast.a2.uscc, cast.b.uscc, "5")], header=["held", "holder", "pct"]
        )
    )
    assert (error.row, error.column) == (1, "valid_from")


def test_equity_import_in_a_dry_run_writes_nothing(cast, tmp_path):
    result = run_equity(
        tmp_path, [stake(cast.a2.uscc, "party:新股东", "5", kind="non_state")], dry_run=True
    )
    assert result.ok and result.created == 1 and not result.written
    assert not OutsideParty.objects.exists()
