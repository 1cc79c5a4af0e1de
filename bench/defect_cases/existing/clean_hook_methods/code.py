class Plugin:
    def setup(self):
        pass

    def teardown(self):
        """Subclasses release their resources here."""
