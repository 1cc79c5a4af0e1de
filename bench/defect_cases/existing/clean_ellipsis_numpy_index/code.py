import numpy as np

def first_channel(images: np.ndarray) -> np.ndarray:
    return images[..., 0]
