"""Names for codes and tree levels on the registry pages."""

from django import template
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from guozi.lib import codetables
from guozi.registry import directory
from guozi.registry.models import EnterpriseStatus, Portfolio

register = template.Library()

_NUMERALS = "一二三四五六七八九十"


@register.filter
def city_name(code: str) -> str:
    return directory.city_name(code)


@register.filter
def industry_name(code: str) -> str:
    return directory.industry_name(code)


@register.filter
def region_path(code: str) -> str:
    """Province, city and county names of a GB/T 2260 code, e.g. 辽宁省 鞍山市 铁东区."""
    found = codetables.region(code or "")
    if found is None:
        return ""
    names = []
    province = codetables.province_of(code)
    prefecture = codetables.prefecture_of(code)
    for part in (province, prefecture):
        if part and part != code:
            names.append(codetables.region(part).name_zh)
    names.append(found.name_zh)
    return " ".join(name for name in names if name not in {"市辖区", "县"})


@register.filter
def level_label(level) -> str:
    """一级, 二级 … in Chinese; Level 1, Level 2 … in English."""
    if not level:
        return ""
    level = int(level)
    if (get_language() or "").startswith("zh") and level <= len(_NUMERALS):
        return f"{_NUMERALS[level - 1]}级"
    return _("Level %(n)d") % {"n": level}


@register.filter
def status_tags(enterprise) -> str:
    """Merged / deregistered / observed marks of an enterprise."""
    tags = []
    if enterprise.status == EnterpriseStatus.MERGED:
        tags.append(format_html('<span class="tag merged">{}</span>', _("Merged")))
    elif enterprise.status == EnterpriseStatus.DEREGISTERED:
        tags.append(format_html('<span class="tag deregistered">{}</span>', _("Deregistered")))
    if enterprise.portfolio == Portfolio.OBSERVED:
        tags.append(format_html('<span class="tag observed">{}</span>', _("Observed")))
    return mark_safe(" ".join(tags))  # each part is built by format_html


def _url_maker(name: str):
    """A fast `reverse(name, args=[id])` for many ids: reverse once, then substitute."""
    placeholder = 918273645
    pattern = reverse(name, args=[placeholder])
    return lambda object_id: pattern.replace(str(placeholder), str(object_id))


@register.simple_tag(takes_context=True)
def tree_nodes(context, nodes) -> str:
    """The <li> of each tree node; one with subsidiaries loads them when opened.

    Built in Python rather than with an include per node: a province's tree has thousands.
    """
    day = context["day"].isoformat()
    as_of_query = escape(context.get("as_of_query", ""))
    loading, count_title = escape(_("Loading…")), escape(_("Direct subsidiaries"))
    page_url, node_url = _url_maker("registry:enterprise"), _url_maker("registry:tree_node")
    items = []
    for node in nodes:
        enterprise = node.enterprise
        label = f'<a href="{page_url(enterprise.id)}{as_of_query}">{escape(enterprise.name)}</a>'
        if node.level:
            label += f' <span class="tag level">{escape(level_label(node.level))}</span>'
        if node.child_count:
            label += f' <span class="count" title="{count_title}">{node.child_count}</span>'
        label += f" {status_tags(enterprise)}"
        if node.child_count:
            items.append(
                f'<li class="node" data-enterprise="{enterprise.id}">'
                f'<details hx-get="{node_url(enterprise.id)}?as_of={day}"'
                ' hx-trigger="toggle once" hx-target="find ul" hx-swap="innerHTML">'
                f'<summary>{label}</summary><ul class="tree"><li class="muted">{loading}</li>'
                "</ul></details></li>"
            )
        else:
            items.append(
                f'<li class="node" data-enterprise="{enterprise.id}">'
                f'<span class="leaf">{label}</span></li>'
            )
    return mark_safe("".join(items))  # every value above is escaped
