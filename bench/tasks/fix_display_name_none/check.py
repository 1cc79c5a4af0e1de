from users import display_name, email_domain


def test_without_nickname():
    assert display_name({"name": "Ada", "email": "ada@example.org"}) == "Ada"


def test_with_nickname():
    assert display_name({"name": "Ada", "nickname": " ada99 ", "email": "a@b.c"}) == "ada99"


def test_rest_still_works():
    assert email_domain({"name": "Ada", "email": "ada@example.org"}) == "example.org"
