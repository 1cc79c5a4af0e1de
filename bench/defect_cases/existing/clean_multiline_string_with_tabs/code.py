def usage():
    text = """
	name	description
	----	-----------
"""
    return text
