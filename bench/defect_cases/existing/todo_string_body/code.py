def render(template, context):
    "TODO"
