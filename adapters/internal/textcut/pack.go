package textcut

// Pack fills messages greedily, in order: each takes at most maxCount items
// (0: any number) whose sizes add up to at most budget, except that an item
// too large alone still gets a message of its own. An item whose keep is
// true goes in the same message as the item after it, so a section's title
// never ends a message without its first line. Items that all fit in one
// message are that message, not copied.
func Pack[T any](items []T, size func(T) int, keep func(T) bool, maxCount, budget int) [][]T {
	if len(items) > 0 && (maxCount <= 0 || len(items) <= maxCount) {
		total := 0
		for _, it := range items {
			total += size(it)
		}
		if total <= budget {
			return [][]T{items} // the usual case: it all fits in one message
		}
	}
	var out [][]T
	var cur []T
	total := 0
	for i := 0; i < len(items); {
		j := i + 1
		for j < len(items) && keep(items[j-1]) {
			j++
		}
		g, gs := items[i:j], 0
		for _, it := range g {
			gs += size(it)
		}
		if len(cur) > 0 && ((maxCount > 0 && len(cur)+len(g) > maxCount) || total+gs > budget) {
			out = append(out, cur)
			cur, total = nil, 0
		}
		cur = append(cur, g...)
		total += gs
		i = j
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}
