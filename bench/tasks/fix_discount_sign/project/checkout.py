"""The checkout total."""

from pricing import apply_discount, with_vat


def total(prices, percent=0):
    return round(sum(with_vat(apply_discount(p, percent)) for p in prices), 2)
