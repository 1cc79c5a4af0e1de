from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from decimal import Decimal


class Cart:
    def __init__(self):
        self.items = []

    def add(self, name: str, price: Decimal, qty: int = 1) -> None:
        self.items.append((name, price, qty))

    def total(self):
        return sum(price * qty for _, price, qty in self.items)


def format_price(value):
    return f"${value:,.2f}"
