import functools


def cached(fn):
    return functools.lru_cache(maxsize=None)(fn)


@cached
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)
