import functools


def cached(fn):
    return functools.lru_cache(maxsize=None)(fn)


@cached
def fib(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a
