from names import initials, split_name


def test_dict():
    assert split_name("Ada King Lovelace") == {"first": "Ada", "last": "King Lovelace"}
    assert split_name("Plato") == {"first": "Plato", "last": ""}


def test_rest_still_works():
    assert initials("ada lovelace") == "AL"
