from stats import count_in_range, spread


def test_inclusive_bounds():
    assert count_in_range([1, 2, 3, 4, 5], 2, 4) == 3
    assert count_in_range([5, 5], 5, 5) == 2


def test_rest_still_works():
    assert spread([3, 9, 4]) == 6
