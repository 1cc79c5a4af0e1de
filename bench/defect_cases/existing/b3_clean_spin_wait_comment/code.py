def wait(flag):
    while not flag.is_set():
        # spin until the worker signals
        pass
    return True
