import pytest

from repo import all_users, get_user
from service import user_count


def test_missing_raises():
    with pytest.raises(KeyError) as info:
        get_user(42)
    assert "42" in str(info.value)


def test_rest_still_works():
    assert get_user(2) == "bob"
    assert all_users() == ["ann", "bob"]
    assert user_count() == 2
