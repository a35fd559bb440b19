from django import template

from taizhang.core.money import yuan_grouped

register = template.Library()


@register.filter
def fen(value):
    """Integer fen as yuan for reading: 16230050 → "162,300.50"."""
    return yuan_grouped(value)
