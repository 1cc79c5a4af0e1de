import pytest

@pytest.mark.skip(reason="TODO: flaky on CI")
def test_network():
    assert True
