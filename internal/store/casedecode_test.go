package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/domain"
)

// randomWord is a string that a record may hold: now and then one that
// json.Marshal escapes, or one with non-ASCII text.
func randomWord(r *rand.Rand) string {
	words := []string{"", "C-1042", "north", "cp", "court", "rural", "slack:U1", "discord:42", "Zoë — back",
		"😀", "high_risk", "queued", "allocated", "manager", "asye", "2026-11-30"}
	// json.Marshal escapes these.
	escaped := []string{"quote \" inside", "line\nbreak", "tab\tand <html> & more", "\u2028"}
	if r.IntN(40) == 0 {
		return escaped[r.IntN(len(escaped))]
	}
	return words[r.IntN(len(words))]
}

// randomTime is zero now and then, else a time in UTC or an offset.
func randomTime(r *rand.Rand) time.Time {
	if r.IntN(3) == 0 {
		return time.Time{}
	}
	t := time.Date(2020+r.IntN(8), time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60), r.IntN(3)*r.IntN(1e9), time.UTC)
	if r.IntN(4) == 0 {
		t = t.In(time.FixedZone("", 3600))
	}
	return t
}

// randomCase makes a case with any of its fields set.
func randomCase(r *rand.Rand) *domain.Case {
	w := func() string { return randomWord(r) }
	at := func() time.Time { return randomTime(r) }
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

// randomMember makes a membership with any of its fields set.
func randomMember(r *rand.Rand) *domain.Member {
	w := func() string { return randomWord(r) }
	m := &domain.Member{Team: w(), Person: domain.PersonID(w()), Name: w(), Role: domain.Role(w()),
		FTE: float64(r.IntN(11)) / 10, JoinedAt: randomTime(r), ASYEStarted: domain.Date(w())}
	for range r.IntN(3) {
		m.Reductions = append(m.Reductions, domain.Reduction{Reason: w(), Percent: float64(r.IntN(101)),
			Until: domain.Date(w()), Leave: r.IntN(2) == 0, Note: w(), From: domain.Date(w())})
	}
	return m
}

func decodeCaseOf(v []byte) (*domain.Case, error)     { return decodeCase(v, "north") }
func decodeMemberOf(v []byte) (*domain.Member, error) { return decodeMember(v, "north") }

// sameAsJSON fails unless decode gives what json.Unmarshal gives for v:
// the same record, or the same error.
func sameAsJSON[T any](t *testing.T, v []byte, decode func([]byte) (*T, error)) {
	t.Helper()
	var want T
	wantErr := json.Unmarshal(v, &want)
	got, err := decode(v)
	if fmt.Sprint(err) != fmt.Sprint(wantErr) {
		t.Fatalf("%s\nthe error %v, json.Unmarshal's %v", v, err, wantErr)
	}
	if !reflect.DeepEqual(*got, want) {
		t.Fatalf("%s\ndecoded to %+v\njson.Unmarshal %+v", v, *got, want)
	}
}

// asJSON checks decode against json.Unmarshal on 3,000 random records, and
// on as many again with one to three bytes removed, added or changed, or a
// key in other letters. quick reads a record without json.Unmarshal: it
// must read every one json.Marshal writes without an escape.
func asJSON[T any](t *testing.T, random func(*rand.Rand) *T, decode func([]byte) (*T, error), quick func([]byte) bool, key string) {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	n := 0
	for range 3000 {
		v, err := json.Marshal(random(r))
		if err != nil {
			t.Fatal(err)
		}
		sameAsJSON(t, v, decode)
		if quick(v) {
			n++
		} else if !bytes.Contains(v, []byte(`\`)) {
			t.Fatalf("the quick path left a record without an escape to json.Unmarshal: %s", v)
		}
	}
	if n < 500 {
		t.Fatalf("the quick path read only %d of 3000 records", n)
	}
	marks := []byte(`{}[],:" \-0123456789.eE+nulltrfasé`)
	for range 3000 {
		v, err := json.Marshal(random(r))
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
				v = bytes.Replace(v, []byte(`"`+key+`"`), []byte(`"`+strings.ToUpper(key)+`"`), 1)
			}
			if len(v) == 0 {
				break
			}
		}
		sameAsJSON(t, v, decode)
	}
}

// A case decodes to exactly what json.Unmarshal makes of it, whether the
// quick path reads it or leaves it to json.Unmarshal, well formed or not.
func TestDecodeCaseAsJSON(t *testing.T) {
	asJSON(t, randomCase, decodeCaseOf, func(v []byte) bool {
		var c domain.Case
		return (&recordReader{jsonReader: jsonReader{b: v}}).caseRecord(&c)
	}, "ref")
	// Nulls, repeated keys, numbers of other shapes, bytes that are not
	// JSON or not UTF-8.
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
		sameAsJSON(t, []byte(v), decodeCaseOf)
	}
}

// So does a membership.
func TestDecodeMemberAsJSON(t *testing.T) {
	asJSON(t, randomMember, decodeMemberOf, func(v []byte) bool {
		var m domain.Member
		return (&recordReader{jsonReader: jsonReader{b: v}}).member(&m)
	}, "person")
	for _, v := range []string{
		`{}`, `{"reductions":[]}`, `{"reductions":null}`, `{"reductions":[{}]}`, `{"reductions":[{},]}`,
		`{"reductions":[{"percent":50,"percent":60}]}`, `{"reductions":[{"leave":null}]}`, `{"reductions":{}}`,
		`{"fte":"1"}`, `{"fte":1,"FTE":2}`, `{"role":"Manager"}`, `{"joined_at":""}`,
	} {
		sameAsJSON(t, []byte(v), decodeMemberOf)
	}
}

func FuzzDecodeCase(f *testing.F) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 20 {
		for _, x := range []any{randomCase(r), randomMember(r)} {
			v, err := json.Marshal(x)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(v)
		}
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		sameAsJSON(t, v, decodeCaseOf)
		sameAsJSON(t, v, decodeMemberOf)
	})
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
