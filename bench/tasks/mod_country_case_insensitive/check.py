from countries import codes, country_name


def test_any_case():
    assert country_name("de") == "Germany"
    assert country_name("Fr") == "France"


def test_rest_still_works():
    assert country_name("NL") == "Netherlands"
    assert country_name("XX") is None
    assert codes() == ["DE", "FR", "NL"]
