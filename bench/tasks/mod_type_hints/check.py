from convert import celsius_to_fahrenheit, km_to_miles


def test_hints():
    hints = celsius_to_fahrenheit.__annotations__
    assert "celsius" in hints and "return" in hints


def test_behaviour_unchanged():
    assert celsius_to_fahrenheit(100) == 212
    assert round(km_to_miles(10), 3) == 6.214
