from mathx import clamp, lerp


def test_docstring():
    assert clamp.__doc__ and len(clamp.__doc__.split()) >= 3


def test_behaviour_unchanged():
    assert clamp(5, 0, 3) == 3 and clamp(-1, 0, 3) == 0 and clamp(2, 0, 3) == 2
    assert lerp(0, 10, 0.5) == 5
