from words import tokens, word_counts


def test_counts():
    assert word_counts("the cat The dog") == {"the": 2, "cat": 1, "dog": 1}
    assert word_counts("") == {}


def test_rest_still_works():
    assert tokens("A b") == ["a", "b"]
