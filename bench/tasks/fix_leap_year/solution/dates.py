"""Calendar arithmetic."""


def is_leap(year):
    """True when `year` is a leap year in the Gregorian calendar."""
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def days_in_year(year):
    return 366 if is_leap(year) else 365
