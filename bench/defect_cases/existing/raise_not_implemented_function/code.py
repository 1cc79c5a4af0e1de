def compute_checksum(data: bytes) -> int:
    raise NotImplementedError
