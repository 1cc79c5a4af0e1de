import pytest

from accounts import Account


def test_validation():
    acc = Account("ann", 10)
    with pytest.raises(ValueError):
        acc.withdraw(0)
    with pytest.raises(ValueError):
        acc.withdraw(-5)
    with pytest.raises(ValueError):
        acc.withdraw(11)
    assert acc.balance == 10


def test_rest_still_works():
    acc = Account("ann", 10)
    assert acc.withdraw(4) == 6
    assert acc.deposit(1) == 7
