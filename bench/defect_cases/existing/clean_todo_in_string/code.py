def is_todo_line(line: str) -> bool:
    return line.lstrip().startswith("# TODO")

LABEL = "TODO: this text is shown to the user"
