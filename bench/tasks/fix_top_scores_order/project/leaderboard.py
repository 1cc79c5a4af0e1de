"""The leaderboard: scores are (player, points) pairs."""


def top(scores, n=3):
    """The `n` best (player, points) pairs, best first."""
    return sorted(scores, key=lambda s: s[1])[:n]


def points_of(scores, player):
    for name, points in scores:
        if name == player:
            return points
    return 0
