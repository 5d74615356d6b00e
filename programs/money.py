"""Money as people read it: the program's currency and thousands separators, never a float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
MINUS = "\u2212"  # a real minus sign, for slips in days


def format_amount(amount: Decimal | int | None) -> str:
    """`1250000` → `1,250,000.00`; a missing amount reads as a dash."""
    if amount is None:
        return "—"
    return f"{Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP):,.2f}"


def format_money(amount: Decimal | int | None, currency: str = "") -> str:
    """`format_money(Decimal("45000"), "USD")` → `USD 45,000.00`."""
    text = format_amount(amount)
    return f"{currency} {text}" if currency and amount is not None else text
