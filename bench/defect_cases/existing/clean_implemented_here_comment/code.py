def checksum(data: bytes) -> int:
    # The Adler-32 algorithm is implemented here without zlib.
    a, b = 1, 0
    for byte in data:
        a = (a + byte) % 65521
        b = (b + a) % 65521
    return (b << 16) | a
