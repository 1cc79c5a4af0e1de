from ports import parse_port, url_for


def test_bad_value_gives_default():
    assert parse_port("abc") == 8080
    assert parse_port("80x", default=1) == 1


def test_rest_still_works():
    assert parse_port("9000") == 9000
    assert parse_port(None) == 8080
    assert url_for("localhost", 80) == "http://localhost:80/"
