package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/domain"
)

// randomCase makes a case with any of its fields set, with strings that
// may need escaping or hold non-ASCII text.
func randomCase(r *rand.Rand) *domain.Case {
	words := []string{"", "C-1042", "north", "cp", "court", "rural", "slack:U1", "discord:42", "Zoë — back",
		"😀", "high_risk", "queued", "allocated"}
	// json.Marshal escapes these.
	escaped := []string{"quote \" inside", "line\nbreak", "tab\tand <html> & more", "\u2028"}
	w := func() string {
		if r.IntN(40) == 0 {
			return escaped[r.IntN(len(escaped))]
		}
		return words[r.IntN(len(words))]
	}
	ws := func() []string {
		if r.IntN(3) == 0 {
			return nil
		}
		out := make([]string, r.IntN(4))
		for i := range out {
			out[i] = w()
		}
		return out
	}
	people := func() []domain.PersonID {
		var out []domain.PersonID
		for _, s := range ws() {
			out = append(out, domain.PersonID(s))
		}
		return out
	}
	at := func() time.Time {
		if r.IntN(3) == 0 {
			return time.Time{}
		}
		t := time.Date(2020+r.IntN(8), time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60), r.IntN(3)*r.IntN(1e9), time.UTC)
		if r.IntN(4) == 0 {
			t = t.In(time.FixedZone("", 3600))
		}
		return t
	}
	c := &domain.Case{Ref: w(), Team: w(), Type: w(), Factors: ws(), Children: r.IntN(5) - 1,
		Status: domain.CaseStatus(w()), Holder: domain.PersonID(w()), Involved: people(), PrevHolders: people(),
		Proposal: uint64(r.IntN(3)) * r.Uint64(), CreatedAt: at(), QueuedSince: at(), AllocatedAt: at(), ClosedAt: at(),
		MoveTo: w(), MovedFrom: w(), MoveReason: w(), MovedAt: at()}
	if r.IntN(2) == 0 {
		c.Override = &domain.Override{Reason: w(), ReviewOn: domain.Date(w()), By: domain.PersonID(w()), At: at(),
			Percent: float64(r.IntN(2000)) / 10, Reviewed: r.IntN(2) == 0, ReviewedBy: domain.PersonID(w()), ReviewedAt: at()}
		if r.IntN(5) == 0 {
			c.Override.Percent = r.NormFloat64() * 1e30
		}
	}
	return c
}

// sameAsJSON fails unless decodeCase gives what json.Unmarshal gives for
// v: the same case, or the same error.
func sameAsJSON(t *testing.T, v []byte) {
	t.Helper()
	var want domain.Case
	wantErr := json.Unmarshal(v, &want)
	got, err := decodeCase(v, "north")
	if fmt.Sprint(err) != fmt.Sprint(wantErr) {
		t.Fatalf("%s\ndecodeCase's error %v, json.Unmarshal's %v", v, err, wantErr)
	}
	if !reflect.DeepEqual(*got, want) {
		t.Fatalf("%s\ndecodeCase gives %+v\njson.Unmarshal %+v", v, *got, want)
	}
}

// A case decodes to exactly what json.Unmarshal makes of it, whether the
// quick path reads it or leaves it to json.Unmarshal.
func TestDecodeCaseAsJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	quick := 0
	for range 3000 {
		c := randomCase(r)
		v, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		sameAsJSON(t, v)
		var got domain.Case
		if (&caseReader{jsonReader: jsonReader{b: v}}).read(&got) {
			quick++
		} else if !bytes.Contains(v, []byte(`\`)) {
			t.Fatalf("the quick path left a case without an escape to json.Unmarshal: %s", v)
		}
	}
	if quick < 500 {
		t.Fatalf("the quick path read only %d of 3000 cases", quick)
	}
}

// Anything that is not what json.Marshal writes gets json.Unmarshal's
// answer: bytes changed, added and removed, keys in other cases, nulls,
// repeated keys, numbers of other shapes.
func TestDecodeCaseMalformedAsJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, v := range []string{
		``, `{}`, ` { } `, `null`, `[]`, `{"ref":"a"} x`, `{"ref":"a",}`, `{"REF":"a"}`, `{"Ref":"a","ref":"b"}`,
		`{"ref":"a","ref":"b"}`, `{"ref":null}`, `{"override":null}`, `{"override":{}}`, `{"factors":[]}`,
		`{"factors":null}`, `{"factors":["a",]}`, `{"children":1.0}`, `{"children":-0}`, `{"children":01}`,
		`{"children":99999999999999999999}`, `{"children":1e2}`, `{"proposal":-1}`, `{"proposal":18446744073709551616}`,
		`{"override":{"percent":1e400}}`, `{"override":{"percent":-0.5E-3}}`, `{"override":{"reviewed":tru}}`,
		`{"created_at":"2026-13-01T00:00:00Z"}`, `{"created_at":"2026-01-01"}`, `{"created_at":"2026-01-01T00:00:00+01:00"}`,
		`{"unknown":1,"ref":"a"}`, `{"ref":"a\u00e9"}`, "{\"ref\":\"a\xff\"}", "{\"ref\":\"a\x01\"}", `{"ref":"é"}`,
		"\ufeff{}", `{"ref" : "a" , "team":"t"}`, "{\n\t\"ref\":\"a\"\r\n}",
	} {
		sameAsJSON(t, []byte(v))
	}
	marks := []byte(`{}[],:" \-0123456789.eE+nulltrfasé`)
	for range 3000 {
		v, err := json.Marshal(randomCase(r))
		if err != nil {
			t.Fatal(err)
		}
		for range 1 + r.IntN(3) {
			i := r.IntN(len(v))
			switch r.IntN(4) {
			case 0:
				v = append(v[:i:i], v[i+1:]...)
			case 1:
				v = append(v[:i:i], append([]byte{marks[r.IntN(len(marks))]}, v[i:]...)...)
			case 2:
				v[i] = marks[r.IntN(len(marks))]
			case 3:
				v = bytes.Replace(v, []byte(`"ref"`), []byte(`"Ref"`), 1)
			}
			if len(v) == 0 {
				break
			}
		}
		sameAsJSON(t, v)
	}
}

func FuzzDecodeCase(f *testing.F) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 20 {
		v, err := json.Marshal(randomCase(r))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v []byte) { sameAsJSON(t, v) })
}

func BenchmarkDecodeCase(b *testing.B) {
	v, err := json.Marshal(&domain.Case{Ref: "C-1042", Team: "t0042", Type: "cp", Factors: []string{"court", "rural"},
		Children: 2, Status: domain.CaseAllocated, Holder: "slack:U0042", CreatedAt: time.Now(), AllocatedAt: time.Now(),
		QueuedSince: time.Now()})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("quick", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeCase(v, "t0042"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var c domain.Case
			if err := json.Unmarshal(v, &c); err != nil {
				b.Fatal(err)
			}
		}
	})
}
