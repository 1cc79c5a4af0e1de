def test_big_sort():
    # XXX: this test is slow on PyPy
    data = list(range(100000, 0, -1))
    assert sorted(data)[0] == 1
