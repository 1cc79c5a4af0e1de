"""The one exception type whose message is written for the user.

Anything raised as :class:`UserError` is shown as is (a notification in the
editor, a line on stderr in the CLI). Every other exception is a bug: it is
logged with its traceback and the user sees a short generic message.
"""

from __future__ import annotations


class UserError(Exception):
    """An error the user can act on; ``str(error)`` says what to do."""
