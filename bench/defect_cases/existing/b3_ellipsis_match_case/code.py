def dispatch(command, args):
    match command:
        case "start":
            return start(args)
        case "stop":
            ...
        case _:
            raise ValueError(command)


def start(args):
    return args
