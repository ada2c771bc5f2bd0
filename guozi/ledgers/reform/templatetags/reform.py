"""Template helpers of the reform pages."""

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def rate_bar(value) -> str:
    """A percentage as a short bar and its figure; a dash when there is none."""
    if value is None:
        return format_html('<span class="muted">—</span>')
    width = max(0, min(100, round(value)))
    return format_html(
        '<span class="rate"><span class="progress small" aria-hidden="true">'
        '<span style="width: {}%"></span></span> {}%</span>',
        width,
        f"{value:.1f}",
    )
