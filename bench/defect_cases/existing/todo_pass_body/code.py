def parse_headers(raw: bytes) -> dict[str, str]:
    # TODO: implement header parsing
    pass
