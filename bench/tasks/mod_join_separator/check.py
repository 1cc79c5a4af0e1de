from listing import bullet_list, join_words


def test_separator():
    assert join_words(["a", "b"], " / ") == "a / b"
    assert join_words(["a", "b"], "-") == "a-b"


def test_rest_still_works():
    assert join_words(["a", "b", "c"]) == "a, b, c"
    assert bullet_list(["x"]) == "- x"
