"""Unit conversions."""


def celsius_to_fahrenheit(celsius: float) -> float:
    return celsius * 9 / 5 + 32


def km_to_miles(km):
    return km * 0.621371
