def area(w, h):
    return w * h

def perimeter(w, h):
	total = 2 * (w + h)
	return total
