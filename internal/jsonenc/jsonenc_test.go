package jsonenc

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

// AppendString writes what json.Marshal writes for a string.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", `"quoted" \ back`, "<b>&amp;</b>", "\b\f\n\r\t\x00\x1f\x7f", "é€😀", "\u2028\u2029",
		"\xff\xfe bad", "a\xe2\x82", "\xed\xa0\x80 surrogate", strings.Repeat("🟢 7.1 % ", 50)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Skip()
		}
		if got := AppendString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("AppendString(%q) = %s, json.Marshal %s", s, got, want)
		}
	})
}

// AppendFloat writes what json.Marshal writes for a float64, and gives up
// where it refuses one.
func FuzzAppendFloat(f *testing.F) {
	for _, x := range []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 37.5, 1e20, 1e21, -1e21, 1e-6, 9.99e-7, 1e-7,
		1.5e-300, 5e-324, math.MaxFloat64, -math.MaxFloat64, 1.2345678901234567e22, 100.00000000000001,
		math.NaN(), math.Inf(1), math.Inf(-1)} {
		f.Add(x)
	}
	f.Fuzz(func(t *testing.T, x float64) {
		got, ok := AppendFloat([]byte("x"), x)
		asMarshal(t, x, got, ok)
	})
}

// AppendTime writes what json.Marshal writes for a time.Time, and gives
// up where it refuses one.
func FuzzAppendTime(f *testing.F) {
	secs := []int64{0, 1796083200, -62135596800, -62167219200, -62167219201, 253402300799, 253402300800,
		math.MinInt64, math.MaxInt64, -1}
	nsecs := []int64{0, 1, 500000000, 120000000, 999999999, 123456789, 1e9, -1}
	zones := []int32{0, 3600, -3600, 19800, 86340, -86340, 86400, -86400, 1, -59, 360000, math.MaxInt32}
	for i := range 3 * len(zones) {
		f.Add(secs[i%len(secs)], nsecs[i%len(nsecs)], zones[i%len(zones)], i%5 == 0)
	}
	f.Fuzz(func(t *testing.T, sec, nsec int64, zone int32, utc bool) {
		at := time.Unix(sec, nsec).In(time.FixedZone("", int(zone)))
		if utc {
			at = at.UTC()
		}
		got, ok := AppendTime([]byte("x"), at)
		asMarshal(t, at, got, ok)
	})
}

// asMarshal fails unless got and ok, what an Append function made of v
// after "x", are "x" and json.Marshal(v), or "x" alone and false where
// json.Marshal refuses v.
func asMarshal(t *testing.T, v any, got []byte, ok bool) {
	t.Helper()
	want, err := json.Marshal(v)
	switch {
	case err != nil && (ok || string(got) != "x"):
		t.Fatalf("%v: wrote %s, %v; json.Marshal refuses it: %v", v, got, ok, err)
	case err == nil && (!ok || string(got) != "x"+string(want)):
		t.Fatalf("%v: wrote %s, %v; json.Marshal %s", v, got, ok, want)
	}
}
