class ConfigError(Exception):
    pass

class MissingKey(ConfigError):
    """A required key is absent."""
