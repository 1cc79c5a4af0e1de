"""An LRU cache and a memoizing decorator."""

from collections import OrderedDict
from functools import wraps


class LRUCache:
    def __init__(self, capacity=128):
        self.capacity = capacity
        self.items = OrderedDict()

    def get(self, key):
        if key not in self.items:
            return None
        self.items.move_to_end(key)
        return self.items[key]

    def put(self, key, value):
        self.items[key] = value
        self.items.move_to_end(key)
        if len(self.items) > self.capacity:
            self.evict()

    def evict(self):
        self.items.popitem(last=False)


def memoize(fn):
    cache = {}

    @wraps(fn)
    def wrapper(*args):
        if args not in cache:
            cache[args] = fn(*args)
        return cache[args]

    return wrapper
