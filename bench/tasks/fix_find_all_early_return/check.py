from search import find_all, find_first


def test_all_matches():
    assert find_all([1, 2, 3, 4, 5, 6], lambda x: x % 2 == 0) == [2, 4, 6]
    assert find_all([], bool) == []


def test_rest_still_works():
    assert find_first([1, 2, 3], lambda x: x > 1) == 2
    assert find_first([1], lambda x: x > 1) is None
