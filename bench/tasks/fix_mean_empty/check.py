from averages import mean, median


def test_empty_mean():
    assert mean([]) == 0.0


def test_rest_still_works():
    assert mean([1, 2, 3, 4]) == 2.5
    assert median([3, 1, 2]) == 2
    assert median([4, 1, 2, 3]) == 2.5
