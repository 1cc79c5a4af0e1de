from typing import Protocol

class SupportsClose(Protocol):
    def close(self) -> None:
        """Release the resource."""

    def closed(self) -> bool:
        """Whether close() was called."""
