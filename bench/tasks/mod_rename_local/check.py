from report import header, summarize


def test_renamed():
    names = summarize.__code__.co_varnames
    assert "total" in names and "x" not in names


def test_behaviour_unchanged():
    assert summarize([{"amount": 2}, {"amount": 3}]) == (5, 2)
    assert summarize([]) == (0, 0)
    assert header("May") == "Report for May"
