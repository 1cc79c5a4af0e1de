import unittest

class BaseCase(unittest.TestCase):
    pass

class TestMath(BaseCase):
    def test_add(self):
        self.assertEqual(1 + 1, 2)
