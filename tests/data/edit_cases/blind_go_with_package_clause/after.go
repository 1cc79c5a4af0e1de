package mathx

func Max(nums ...int) int {
	best := nums[0]
	for _, n := range nums[1:] {
		if n > best {
			best = n
		}
	}
	return best
}
