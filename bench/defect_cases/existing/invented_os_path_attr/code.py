import os

def config_path(name):
    return os.path.joinpath(os.path.expanduser("~"), ".config", name)
