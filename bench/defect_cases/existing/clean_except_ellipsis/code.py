import contextlib

def close_all(handles):
    for handle in handles:
        try:
            handle.close()
        except OSError:
            ...
