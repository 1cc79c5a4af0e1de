def resize(image, width, height):
    if width <= 0 or height <= 0:
        raise ValueError("size must be positive")
    # XXX: implement the actual resampling
    return image
