"""Payments."""

import os


def charge(amount):
    if amount <= 0:
        raise ValueError("amount must be positive")
    return {"amount": amount, "currency": os.environ.get("CURRENCY", "EUR")}


def refund(amount):
    return {"amount": -amount}
