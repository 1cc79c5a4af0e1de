import redis

def get_cache():
    return redis.Redis.from_url("redis://:p4ssw0rd-cache@cache.local:6379/0")
