from typing import overload


class Cart:
    def __init__(self):
        self.items = []

    def add(self, name, price, qty=1):
        self.items.append((name, price, qty))

    def total(self):
        return sum(price * qty for _, price, qty in self.items)


def format_price(value):
    return f"${value:,.2f}"
@overload
def parse_price(value: str) -> float: ...
@overload
def parse_price(value: float) -> float: ...
def parse_price(value):
    if isinstance(value, str):
        return float(value.strip().lstrip("$").replace(",", ""))
    return float(value)
