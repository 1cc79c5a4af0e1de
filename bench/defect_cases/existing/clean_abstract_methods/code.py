from abc import ABC, abstractmethod

class Storage(ABC):
    @abstractmethod
    def read(self, key: str) -> bytes:
        """Return the bytes stored under key."""

    @abstractmethod
    def write(self, key: str, data: bytes) -> None:
        raise NotImplementedError
