from config import get_retries, get_timeout


def test_timeout_is_read():
    assert get_timeout({"timeout": 5}) == 5.0
    assert get_timeout({}) == 30.0


def test_rest_still_works():
    assert get_retries({}) == 3
    assert get_retries({"retries": "7"}) == 7
