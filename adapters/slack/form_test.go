package slack

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// parseForm gives what url.ParseQuery gives, values and error alike.
func FuzzParseForm(f *testing.F) {
	for _, s := range []string{
		"", "&", "a", "a=", "=b", "a=1&b=2", "a=1&a=2&b=3&a=4", "a=%zz&b=1", "%zz=1", "a=1;b=2", "a=x+y%20z&b=%2F%3A",
		"a=1&&b=2&", "k=" + strings.Repeat("v", 100), strings.Repeat("a=1&", 70), strings.Repeat("k=v&", 63) + "last=1",
		"token=legacy&team_id=T0SAFE&channel_id=CNORTH&user_id=UALICE&command=%2Fcapacity&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1&trigger_id=1.1.abc",
		"payload=%7B%22type%22%3A%22block_actions%22%7D", "a=%E2%82%AC&b=%", "a=1=2=3",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, werr := url.ParseQuery(s)
		got, gerr := parseForm(s)
		if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) || !reflect.DeepEqual(got, want) {
			t.Fatalf("parseForm(%q) = %v, %v; url.ParseQuery: %v, %v", s, got, gerr, want, werr)
		}
		// A value appended to one key never shows in another's.
		for k := range got {
			got[k] = append(got[k], "x")
		}
		again, _ := url.ParseQuery(s)
		for k, vs := range again {
			if !reflect.DeepEqual(got[k][:len(vs)], vs) {
				t.Fatalf("parseForm(%q): appending to one key changed %q", s, k)
			}
		}
	})
}
