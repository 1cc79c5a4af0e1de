"""Payments."""

import os
import logging


def charge(amount):
    if amount <= 0:
        logging.warning("refusing to charge %s", amount)
        raise ValueError("amount must be positive")
    return {"amount": amount, "currency": os.environ.get("CURRENCY", "EUR")}


def refund(amount):
    return {"amount": -amount}
