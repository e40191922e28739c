package slack

import (
	"net/url"
	"strings"
)

// maxFastFields is the most fields parseForm reads itself; Slack's forms
// have a dozen.
const maxFastFields = 64

// parseForm is url.ParseQuery(s), result and error, with fewer
// allocations: the map is made at its size and the values of distinct
// keys share one array. Anything out of the ordinary (a semicolon, a bad
// escape, many fields) is handed to url.ParseQuery itself.
func parseForm(s string) (url.Values, error) {
	n := strings.Count(s, "&") + 1
	if n > maxFastFields || strings.IndexByte(s, ';') >= 0 {
		return url.ParseQuery(s)
	}
	form := make(url.Values, n)
	vals := make([]string, 0, n)
	for rest := s; rest != ""; {
		var kv string
		kv, rest, _ = strings.Cut(rest, "&")
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		k, kerr := url.QueryUnescape(k)
		v, verr := url.QueryUnescape(v)
		if kerr != nil || verr != nil {
			return url.ParseQuery(s)
		}
		if old, ok := form[k]; ok {
			form[k] = append(old, v) // a copy: old's capacity is its length
			continue
		}
		vals = append(vals, v)
		form[k] = vals[len(vals)-1 : len(vals) : len(vals)]
	}
	return form, nil
}
