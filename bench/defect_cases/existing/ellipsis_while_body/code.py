def drain(queue, handle):
    count = 0
    while queue:
        ...
    return count
