def classify(score):
    if score >= 90:
        return "A"
    elif score >= 75:
        return "B"
    else:
        ...
