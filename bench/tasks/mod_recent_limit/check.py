from history import describe, recent

EVENTS = [{"at": 1, "what": "a"}, {"at": 3, "what": "c"}, {"at": 2, "what": "b"}]


def test_limit():
    assert [e["what"] for e in recent(EVENTS, 2)] == ["c", "b"]
    assert [e["what"] for e in recent(EVENTS, limit=1)] == ["c"]


def test_rest_still_works():
    assert [e["what"] for e in recent(EVENTS)] == ["c", "b", "a"]
    assert describe(EVENTS[0]) == "1: a"
