import sys

def set_priority(pid, level):
    if sys.platform == "win32":
        raise NotImplementedError("process priority is not supported on Windows")
    import os
    os.setpriority(os.PRIO_PROCESS, pid, level)
