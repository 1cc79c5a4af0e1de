"""Prices in the shop, in euros."""

VAT = 0.2


def with_vat(price):
    return round(price * (1 + VAT), 2)


def apply_discount(price, percent):
    """The price after taking `percent` percent off."""
    return round(price + price * percent / 100, 2)
