from datetime import date

import pytest
from django.urls import reverse

from guozi.conftest import make_enterprise
from guozi.lib.pinyin import search_text
from guozi.lib.uscc import make_uscc
from guozi.registry import services
from guozi.registry.directory import directory_search
from guozi.registry.models import Enterprise

URL = reverse("registry:directory")


def ids(response) -> set[int]:
    assert response.status_code == 200
    return {enterprise.id for enterprise in response.context["page"].object_list}


def test_supervisor_sees_own_and_lower_supervisors_enterprises(cast, login):
    client = login(cast.analyst)
    assert ids(client.get(URL)) == {
        e.id for e in (cast.a, cast.a1, cast.a11, cast.a2, cast.b, cast.b1, cast.d)
    }


def test_dalian_analyst_sees_only_dalian(cast, login):
    client = login(cast.dl_analyst)
    assert ids(client.get(URL)) == {cast.d.id}
    assert ids(client.get(URL, {"q": "辽宁"})) == set()


def test_enterprise_user_sees_only_their_subtree(cast, login):
    client = login(cast.reporter)
    expected = {cast.a.id, cast.a1.id, cast.a11.id, cast.a2.id}
    assert ids(client.get(URL)) == expected
    # B is not found by any search: name, pinyin, USCC.
    for q in ["港口", "lngk", "liaoninggangkou", cast.b.uscc, "辽港"]:
        assert ids(client.get(URL, {"q": q})) == set(), q
    assert cast.b.name_zh not in client.get(URL).content.decode()


def test_search_by_name_short_name_and_english_name(cast, login):
    client = login(cast.analyst)
    assert ids(client.get(URL, {"q": "港口"})) == {cast.b.id}
    assert ids(client.get(URL, {"q": "辽港"})) == {cast.b.id}
    assert ids(client.get(URL, {"q": "port group"})) == {cast.b.id}
    assert ids(client.get(URL, {"q": "  营口  "})) == {cast.b1.id}


def test_search_by_uscc_exact_and_normalised(cast, login):
    client = login(cast.analyst)
    assert ids(client.get(URL, {"q": cast.b1.uscc})) == {cast.b1.id}
    assert ids(client.get(URL, {"q": cast.b1.uscc.lower()})) == {cast.b1.id}
    spaced = f"{cast.b1.uscc[:6]} {cast.b1.uscc[6:]}"
    assert ids(client.get(URL, {"q": spaced})) == {cast.b1.id}


def test_search_by_pinyin_and_initials(cast, login):
    client = login(cast.analyst)
    assert ids(client.get(URL, {"q": "lngt"})) == {cast.a.id}  # 辽宁钢铁
    assert ids(client.get(URL, {"q": "LNGK"})) == {cast.b.id}  # 辽宁港口, any case
    assert ids(client.get(URL, {"q": "liaoninggang"})) == {cast.a.id, cast.b.id}
    assert ids(client.get(URL, {"q": "dalianditie"})) == {cast.d.id}


def test_search_by_foreign_registration_number(cast, login):
    overseas = services.enterprise_create(
        acting_user=None,
        fields={
            "foreign_reg_no": "HRB 12345",
            "foreign_country": "DE",
            "name_zh": "辽钢欧洲有限公司",
            "supervisor": cast.ln,
            "ownership_level": "provincial",
        },
        parent=cast.a,
        valid_from=date(2020, 1, 1),
    )
    client = login(cast.analyst)
    assert ids(client.get(URL, {"q": "HRB 12345"})) == {overseas.id}
    assert ids(client.get(URL, {"q": "de:HRB 12345"})) == {overseas.id}
    assert "DE:HRB 12345" in client.get(URL, {"q": "HRB 12345"}).content.decode()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"city": "210300"}, {"a11"}),
        ({"city": "210200"}, {"b", "d"}),
        ({"section": "G"}, {"b", "b1", "d"}),
        ({"section": "g"}, {"b", "b1", "d"}),
        ({"ownership_level": "municipal"}, {"d"}),
        ({"function_class": "commercial_competitive", "city": "210800"}, {"b1"}),
        ({"function_class": "public_welfare"}, set()),
        ({"status": "active", "section": "G", "city": "210200"}, {"b", "d"}),
        ({"portfolio": "own", "ownership_level": "municipal"}, {"d"}),
        ({"q": "辽钢", "city": "210500"}, {"a2"}),
    ],
)
def test_filters(cast, login, params, expected):
    client = login(cast.analyst)
    assert ids(client.get(URL, params)) == {getattr(cast, name).id for name in expected}


def test_supervisor_filter(cast, login):
    client = login(cast.analyst)
    assert ids(client.get(URL, {"supervisor": cast.dl.id})) == {cast.d.id}
    assert cast.d.id not in ids(client.get(URL, {"supervisor": cast.ln.id}))
    # The Dalian analyst cannot widen their view by naming Liaoning.
    assert ids(login(cast.dl_analyst).get(URL, {"supervisor": cast.ln.id})) == set()


def test_status_and_portfolio_filters(cast, login):
    services.enterprise_merge(
        acting_user=None, absorbed=cast.a11, into=cast.a1, on=date(2021, 6, 1)
    )
    observed = make_enterprise(
        None,
        name="中央企业辽宁分公司",
        supervisor=cast.ln,
        body="C0000001",
        level="central",
        portfolio="observed",
    )
    client = login(cast.analyst)
    assert ids(client.get(URL, {"status": "merged"})) == {cast.a11.id}
    assert ids(client.get(URL, {"portfolio": "observed"})) == {observed.id}
    html = client.get(URL).content.decode()
    assert 'class="tag merged"' in html and 'class="tag observed"' in html


@pytest.mark.parametrize(
    "params",
    [
        {"supervisor": "abc"},
        {"supervisor": "99999999999999999999999"},
        {"city": "nowhere"},
        {"section": "ZZ"},
        {"ownership_level": "galactic"},
        {"status": "'; drop table x"},
        {"function_class": "<script>"},
        {"city": "99\x0099"},
        {"q": "zz\x00zz"},
    ],
)
def test_invalid_filter_values_give_an_empty_list_not_an_error(cast, login, params):
    assert ids(login(cast.analyst).get(URL, params)) == set()


def test_bad_page_numbers_do_not_fail(cast, login):
    client = login(cast.analyst)
    assert len(ids(client.get(URL, {"page": "abc"}))) == 7
    assert len(ids(client.get(URL, {"page": "999"}))) == 7
    assert len(ids(client.get(URL, {"q": "x" * 5000}))) == 0


def _many(cast, count: int) -> None:
    rows = []
    for number in range(count):
        name = f"辽宁测试企业{number:03d}有限公司"
        rows.append(
            Enterprise(
                uscc=make_uscc("9", "1", "210100", f"T{number:07d}"),
                name_zh=name,
                search_text=search_text(name),
                supervisor=cast.ln,
                region_code="210100",
                city_code="210100",
                ownership_level="provincial",
            )
        )
    Enterprise.objects.bulk_create(rows)


def test_pagination_keeps_filters_and_counts(cast, login):
    _many(cast, 70)
    client = login(cast.analyst)
    first = client.get(URL, {"q": "测试"})
    assert first.context["page"].paginator.count == 70
    assert len(ids(first)) == 50
    html = first.content.decode()
    assert "共 70 家企业" in html
    assert "?q=%E6%B5%8B%E8%AF%95&amp;page=2" in html
    second = client.get(URL, {"q": "测试", "page": 2})
    assert len(ids(second)) == 20
    assert ids(first).isdisjoint(ids(second))


def test_export_links_keep_the_filters(cast, login):
    html = login(cast.analyst).get(URL, {"q": "辽钢", "city": "210100", "page": 1}).content.decode()
    export = reverse("registry:export")
    assert f"{export}?q=%E8%BE%BD%E9%92%A2&amp;city=210100&amp;format=xlsx" in html
    assert f"{export}?q=%E8%BE%BD%E9%92%A2&amp;city=210100&amp;format=csv" in html


def test_queries_do_not_grow_with_the_rows_shown(cast, login, django_assert_max_num_queries):
    client = login(cast.analyst)
    client.get(URL)  # warm caches (code tables)
    with django_assert_max_num_queries(20) as few:
        client.get(URL)
    _many(cast, 60)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(ids(client.get(URL))) == 50
    reporter = login(cast.reporter)
    with django_assert_max_num_queries(20):
        reporter.get(URL, {"q": "lg"})


def test_directory_search_is_shared_and_scoped(cast):
    found = directory_search(cast.reporter, q="辽钢", section="C")
    assert set(found.values_list("id", flat=True)) == {
        cast.a.id,
        cast.a1.id,
        cast.a11.id,
        cast.a2.id,
    }
    assert set(directory_search(cast.outsider).values_list("id", flat=True)) == {
        cast.b.id,
        cast.b1.id,
    }
    assert not directory_search(cast.sysadmin).exists()  # administrators read no portfolio
    assert directory_search(cast.analyst, supervisor="x").count() == 0


def test_anonymous_and_admins_are_kept_out(cast, client, login):
    assert client.get(URL).status_code == 302
    assert login(cast.secadmin).get(URL).status_code == 403
