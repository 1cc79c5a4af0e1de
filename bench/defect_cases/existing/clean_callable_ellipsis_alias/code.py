from typing import Callable

Callback = Callable[..., None]
Handler = Callable[[str], None]
