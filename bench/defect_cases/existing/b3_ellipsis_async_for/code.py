async def consume(stream):
    seen = 0
    async for message in stream:
        ...
    return seen
