from pages import page, page_count


def test_pages_are_full():
    items = list(range(10))
    assert page(items, 1, 3) == [0, 1, 2]
    assert page(items, 2, 3) == [3, 4, 5]
    assert page(items, 4, 3) == [9]


def test_rest_still_works():
    assert page_count(list(range(10)), 3) == 4
    assert page_count([], 3) == 0
