"""Template filters for money and slips: `{% load programs_tags %}`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import template

from programs.money import MINUS, format_amount, format_money

register = template.Library()


@register.filter
def money(amount: Decimal | int | None, currency: str = "") -> str:
    """`{{ amount|money:program.currency }}` → `USD 1,250,000.00`."""
    return format_money(amount, currency)


@register.filter
def amount(value: Decimal | int | None) -> str:
    """`{{ value|amount }}` → `1,250,000.00` (the currency is in the column heading)."""
    return format_amount(value)


@register.filter
def slip(days: int) -> str:
    """`+12 d`, `-3 d` (a real minus sign) or `0`: a milestone's distance from baseline."""
    if days > 0:
        return f"+{days} d"
    if days < 0:
        return f"{MINUS}{-days} d"
    return "0"


@register.filter
def days_after(later: date | None, earlier: date | None) -> int:
    """`{{ forecast|days_after:baseline }}`: whole days from `earlier` to `later` (0 if unset)."""
    if later is None or earlier is None:
        return 0
    return (later - earlier).days
