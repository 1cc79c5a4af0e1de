from temperature import Temperature


def test_property():
    assert Temperature(100).fahrenheit == 212
    assert isinstance(Temperature.__dict__["fahrenheit"], property)


def test_rest_still_works():
    assert Temperature(-1).is_freezing() and not Temperature(3).is_freezing()
