from leaderboard import points_of, top
from show import lines

SCORES = [("ann", 5), ("bob", 9), ("cy", 1), ("dee", 7)]


def test_best_first():
    assert top(SCORES, 2) == [("bob", 9), ("dee", 7)]


def test_rest_still_works():
    assert points_of(SCORES, "cy") == 1
    assert points_of(SCORES, "zed") == 0
    assert lines(SCORES)[0] == "1. bob (9)"
