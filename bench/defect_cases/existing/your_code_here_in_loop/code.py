def process(records):
    results = []
    for record in records:
        # your code here
        pass
    return results
