package textcut

import (
	"reflect"
	"testing"
)

type item struct {
	name string
	size int
	keep bool
}

func TestPack(t *testing.T) {
	size := func(i item) int { return i.size }
	keep := func(i item) bool { return i.keep }
	names := func(parts [][]item) [][]string {
		var out [][]string
		for _, p := range parts {
			var ns []string
			for _, i := range p {
				ns = append(ns, i.name)
			}
			out = append(out, ns)
		}
		return out
	}
	a, b, c, d := item{"a", 4, false}, item{"b", 4, false}, item{"c", 4, false}, item{"d", 20, false}
	title := item{"title", 1, true}
	for _, tc := range []struct {
		name          string
		items         []item
		count, budget int
		want          [][]string
	}{
		{"nothing", nil, 0, 10, nil},
		{"all fit", []item{a, b, c}, 3, 12, [][]string{{"a", "b", "c"}}},
		{"all fit, any count", []item{a, title, c}, 0, 9, [][]string{{"a", "title", "c"}}},
		{"by budget", []item{a, b, c}, 0, 8, [][]string{{"a", "b"}, {"c"}}},
		{"by count", []item{a, b, c}, 2, 100, [][]string{{"a", "b"}, {"c"}}},
		{"too large alone still goes", []item{a, d, b}, 0, 10, [][]string{{"a"}, {"d"}, {"b"}}},
		{"a title keeps its first line", []item{a, b, title, c}, 0, 9, [][]string{{"a", "b"}, {"title", "c"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := names(Pack(tc.items, size, keep, tc.count, tc.budget)); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Pack = %v, want %v", got, tc.want)
			}
		})
	}
}
