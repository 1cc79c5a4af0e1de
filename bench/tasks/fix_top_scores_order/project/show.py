"""Print the leaderboard."""

from leaderboard import top


def lines(scores):
    return [f"{i}. {name} ({points})" for i, (name, points) in enumerate(top(scores), 1)]
