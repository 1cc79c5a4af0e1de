from dates import days_in_year, is_leap


def test_century_rule():
    assert not is_leap(1900)
    assert is_leap(2000)
    assert is_leap(2024)
    assert not is_leap(2023)


def test_rest_still_works():
    assert days_in_year(2024) == 366 and days_in_year(1900) == 365
