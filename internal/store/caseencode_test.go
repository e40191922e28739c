package store

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/domain"
)

// fuzzRecord is what a fuzz run draws a record from: fill sets every field
// of the record, field by field by reflection, from these, so a field added
// to a record is filled (and checked) without this test knowing of it.
type fuzzRecord struct {
	strs     [3]string
	n        int64
	floats   [2]float64
	secs     [2]int64
	nsec     int64
	zone     int32
	zeroMask uint64 // bit k (mod 64) leaves the k-th field zero, nil
}

// fill sets v, a pointer to a struct, from r.
func (r *fuzzRecord) fill(v any) {
	k := 0
	r.value(reflect.ValueOf(v).Elem(), &k)
}

func (r *fuzzRecord) value(v reflect.Value, k *int) {
	i := *k
	*k++
	if v.Type() != reflect.TypeFor[time.Time]() && v.Kind() == reflect.Struct {
		*k--
		for j := range v.NumField() {
			r.value(v.Field(j), k)
		}
		return
	}
	if r.zeroMask&(1<<(i%64)) != 0 {
		return
	}
	switch {
	case v.Type() == reflect.TypeFor[time.Time]():
		at := time.Unix(r.secs[i%2], r.nsec)
		if i%2 == 0 || r.zone == 0 {
			at = at.UTC()
		} else {
			at = at.In(time.FixedZone("", int(r.zone)))
		}
		v.Set(reflect.ValueOf(at))
	case v.Kind() == reflect.String:
		v.SetString(r.strs[i%3])
	case v.Kind() == reflect.Int:
		v.SetInt(r.n)
	case v.Kind() == reflect.Uint64:
		v.SetUint(uint64(r.n))
	case v.Kind() == reflect.Float64:
		v.SetFloat(r.floats[i%2])
	case v.Kind() == reflect.Bool:
		v.SetBool(true)
	case v.Kind() == reflect.Slice:
		// Of length 0 (empty, not nil) to 3 by n.
		n := int(uint64(r.n)>>(i%60)) & 3
		v.Set(reflect.MakeSlice(v.Type(), n, n))
		for j := range n {
			sub := i + 1 + j
			r.value(v.Index(j), &sub)
		}
	case v.Kind() == reflect.Pointer && v.Type().Elem().Kind() == reflect.Struct:
		v.Set(reflect.New(v.Type().Elem()))
		r.value(v.Elem(), k)
	default:
		panic(fmt.Sprintf("fuzzRecord cannot fill a %s: teach fuzzRecord.value", v.Type()))
	}
}

// sameAsMarshal fails unless v encodes exactly as json.Marshal encodes it,
// through encode and through write alone: the same bytes, or, where
// json.Marshal refuses v, the same error from encode and write giving up.
func sameAsMarshal[T any](t testing.TB, v *T, write func([]byte, *T) ([]byte, bool)) {
	t.Helper()
	want, wantErr := json.Marshal(v)
	got, err := encode(v)
	if fmt.Sprint(err) != fmt.Sprint(wantErr) || !bytes.Equal(got, want) {
		t.Fatalf("%+v\nencode:       %s (error %v)\njson.Marshal: %s (error %v)", v, got, err, want, wantErr)
	}
	b, ok := write(nil, v)
	switch {
	case wantErr == nil && !ok:
		t.Fatalf("%+v\nthe direct writer gave up on a record json.Marshal writes: %s", v, want)
	case wantErr == nil && !bytes.Equal(b, want):
		t.Fatalf("%+v\nwrote        %s\njson.Marshal %s", v, b, want)
	case wantErr != nil && ok:
		t.Fatalf("%+v\nthe direct writer wrote %s where json.Marshal refuses it: %v", v, b, wantErr)
	}
}

// Strings, numbers and times that json.Marshal writes in its own way or
// refuses.
var (
	fuzzStrings = []string{"", "C-1042", "slack:U0042", "court", "Zoë — back 😀", `quote " and \ backslash`,
		"<b>tags</b> & amps", "\u2028line\u2029para", "bad \xff\xfe utf-8 \xc3", "\xe2\x80", "\x00\x01\x1f\x7f",
		"\b\f\n\r\t", "\ufffd", "\U0010ffff", "é\u0301", "\xed\xa0\x80 surrogate"}
	fuzzFloats = []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 37.5, 123.456, 1e20, 1e21, -1e21, 1e-6, 9.99e-7,
		1e-7, 1.5e-300, 5e-324, math.MaxFloat64, -math.MaxFloat64, 1.2345678901234567e22, 100.00000000000001,
		math.NaN(), math.Inf(1), math.Inf(-1)}
	fuzzSecs = []int64{0, 1796083200, // 2026-12-01
		-62135596800, // year 1, the zero time
		-62167219200, // year 0
		-62167219201, // year -1
		253402300799, // the last second of 9999
		253402300800, // year 10000
		math.MinInt64, math.MaxInt64, -1}
	fuzzNsecs = []int64{0, 1, 500000000, 120000000, 999999999, 123456789, 1e9, -1}
	fuzzZones = []int32{0, 3600, -3600, 19800, 86340, -86340, 86400, -86400, 1, -59, 360000, math.MaxInt32}
)

// addSeeds adds seeds that together set and clear every field and put
// each of the strings, numbers and times above in some field.
func addSeeds(f *testing.F) {
	for i := range 48 {
		s := func(j int) string { return fuzzStrings[(i+j)%len(fuzzStrings)] }
		mask := uint64(0)
		switch i % 4 {
		case 1:
			mask = math.MaxUint64 // all zero: omitempty and omitzero all round
		case 2:
			mask = 0x5555555555555555
		case 3:
			mask = 0xaaaaaaaaaaaaaaaa
		}
		n := []int64{0, 1, -1, 2, 7, math.MaxInt64, math.MinInt64, 0xfff0f0f}[i%8]
		f.Add(s(0), s(5), s(11), n, fuzzFloats[i%len(fuzzFloats)], fuzzFloats[(i+7)%len(fuzzFloats)],
			fuzzSecs[i%len(fuzzSecs)], fuzzSecs[(i+3)%len(fuzzSecs)], fuzzNsecs[i%len(fuzzNsecs)],
			fuzzZones[i%len(fuzzZones)], mask)
	}
}

// fuzzEncode checks the records drawn from each input against json.Marshal
// and, where the store has a decoder of its own for them, the decoding of
// what it writes against json.Unmarshal.
func fuzzEncode[T any](f *testing.F, write func([]byte, *T) ([]byte, bool), decode func([]byte) (*T, error)) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, a, b, c string, n int64, x, y float64, sec, sec2, nsec int64, zone int32, mask uint64) {
		r := fuzzRecord{strs: [3]string{a, b, c}, n: n, floats: [2]float64{x, y}, secs: [2]int64{sec, sec2},
			nsec: nsec, zone: zone, zeroMask: mask}
		v := new(T)
		r.fill(v)
		sameAsMarshal(t, v, write)
		if b, err := json.Marshal(v); err == nil && decode != nil {
			sameAsJSON(t, b, decode)
		}
	})
}

func FuzzEncodeCase(f *testing.F)       { fuzzEncode(f, appendCase, decodeCaseOf) }
func FuzzEncodeProposal(f *testing.F)   { fuzzEncode(f, appendProposal, decodeProposalOf) }
func FuzzEncodeAuditEntry(f *testing.F) { fuzzEncode(f, appendAuditEntry, nil) }
func FuzzEncodeHoursEntry(f *testing.F) { fuzzEncode(f, appendHoursEntry, nil) }

// The random cases the decoder's tests use encode as json.Marshal does too.
func TestEncodeRandomCasesAsJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for range 3000 {
		sameAsMarshal(t, randomCase(r), appendCase)
	}
}

// encodedFields are the fields of each record the direct writers write, as
// reflection shows them: name, type and tag. A record with other fields
// fails the test, so a field cannot be added to one of them (or renamed,
// retyped or retagged) without its writer, and then this list, being
// changed to match.
var encodedFields = map[reflect.Type][]string{
	reflect.TypeFor[domain.Case](): {
		`Ref string json:"ref"`, `Team string json:"team"`, `Type string json:"type"`,
		`Factors []string json:"factors,omitempty"`, `Children int json:"children,omitempty"`,
		`Status domain.CaseStatus json:"status"`, `Holder domain.PersonID json:"holder,omitempty"`,
		`Involved []domain.PersonID json:"involved,omitempty"`,
		`PrevHolders []domain.PersonID json:"prev_holders,omitempty"`, `Proposal uint64 json:"proposal,omitempty"`,
		`Override *domain.Override json:"override,omitempty"`, `CreatedAt time.Time json:"created_at"`,
		`QueuedSince time.Time json:"queued_since,omitzero"`, `AllocatedAt time.Time json:"allocated_at,omitzero"`,
		`ClosedAt time.Time json:"closed_at,omitzero"`, `MoveTo string json:"move_to,omitempty"`,
		`MovedFrom string json:"moved_from,omitempty"`, `MoveReason string json:"move_reason,omitempty"`,
		`MovedAt time.Time json:"moved_at,omitzero"`,
	},
	reflect.TypeFor[domain.Override](): {
		`Reason string json:"reason"`, `ReviewOn domain.Date json:"review_on"`, `By domain.PersonID json:"by"`,
		`At time.Time json:"at"`, `Percent float64 json:"percent"`, `Reviewed bool json:"reviewed,omitempty"`,
		`ReviewedBy domain.PersonID json:"reviewed_by,omitempty"`, `ReviewedAt time.Time json:"reviewed_at,omitzero"`,
	},
	reflect.TypeFor[domain.Proposal](): {
		`ID uint64 json:"id"`, `Team string json:"team"`, `Ref string json:"ref"`,
		`Kind domain.ProposalKind json:"kind"`, `To domain.PersonID json:"to"`,
		`From domain.PersonID json:"from,omitempty"`, `By domain.PersonID json:"by"`, `At time.Time json:"at"`,
		`Reason string json:"reason,omitempty"`, `Override *domain.Override json:"override,omitempty"`,
		`Before float64 json:"before"`, `After float64 json:"after"`, `Status domain.ProposalStatus json:"status"`,
		`AnsweredAt time.Time json:"answered_at,omitzero"`, `AnsweredBy domain.PersonID json:"answered_by,omitempty"`,
		`Answer string json:"answer,omitempty"`, `Reminded bool json:"reminded,omitempty"`,
	},
	reflect.TypeFor[domain.AuditEntry](): {
		`Seq uint64 json:"seq"`, `At time.Time json:"at"`, `Actor domain.PersonID json:"actor"`,
		`Team string json:"team,omitempty"`, `Action string json:"action"`, `Subject string json:"subject,omitempty"`,
		`Before string json:"before,omitempty"`, `After string json:"after,omitempty"`,
		`Detail string json:"detail,omitempty"`,
	},
	reflect.TypeFor[domain.HoursEntry](): {
		`ID uint64 json:"id"`, `Team string json:"team"`, `By domain.PersonID json:"by"`,
		`Hours float64 json:"hours"`, `Note string json:"note,omitempty"`, `At time.Time json:"at"`,
	},
}

// The records the direct writers write have exactly the fields they know,
// and neither they nor their fields' types encode themselves (a
// MarshalJSON or MarshalText), but for time.Time, whose MarshalJSON the
// writers follow.
func TestEncodedFieldsAreKnown(t *testing.T) {
	marshalers := []reflect.Type{reflect.TypeFor[json.Marshaler](), reflect.TypeFor[encoding.TextMarshaler]()}
	selfEncoding := func(ty reflect.Type) bool {
		for _, m := range marshalers {
			if ty.Implements(m) || reflect.PointerTo(ty).Implements(m) {
				return true
			}
		}
		return false
	}
	for ty, want := range encodedFields {
		if selfEncoding(ty) {
			t.Errorf("%s encodes itself now: the direct writer cannot know how; take it out of encodeRecord", ty)
		}
		var got []string
		for i := range ty.NumField() {
			f := ty.Field(i)
			got = append(got, fmt.Sprintf("%s %s %s", f.Name, f.Type, f.Tag))
			ft := f.Type
			for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			if ft != reflect.TypeFor[time.Time]() && selfEncoding(ft) {
				t.Errorf("%s.%s: %s encodes itself now; the direct writer must follow it, or leave %s to json.Marshal",
					ty, f.Name, ft, ty)
			}
			if ft.Kind() == reflect.Struct && ft != reflect.TypeFor[time.Time]() && encodedFields[ft] == nil {
				t.Errorf("%s.%s: the struct %s is not in encodedFields", ty, f.Name, ft)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s has the fields\n\t%s\nbut its direct writer (caseencode.go) writes\n\t%s\n"+
				"change the writer to write it as json.Marshal does, and its reader if it has one "+
				"(casedecode.go, proposaldecode.go), then this list",
				ty, strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
		}
	}
	// Every type encodeRecord writes itself is checked here.
	for _, v := range []any{&domain.Case{}, &domain.Proposal{}, &domain.AuditEntry{}, &domain.HoursEntry{}} {
		if encodedFields[reflect.TypeOf(v).Elem()] == nil {
			t.Errorf("%T is not in encodedFields", v)
		}
	}
}

// Each encoding is a slice of its own: the next encoding, in this
// goroutine or another, does not write over it.
func TestEncodeReturnsItsOwnSlice(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(9, uint64(i)))
			for range 200 {
				c := randomCase(r)
				want, err := json.Marshal(c)
				if err != nil {
					t.Error(err)
					return
				}
				got, err := encode(c)
				if err != nil {
					t.Error(err)
					return
				}
				for range 3 {
					if _, err := encode(&domain.AuditEntry{Action: strings.Repeat("x", 700), At: time.Now()}); err != nil {
						t.Error(err)
						return
					}
				}
				if !bytes.Equal(got, want) {
					t.Errorf("an encoding changed after the next ones:\n%s\n%s", got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

// Records of other types, nil records and records passed by value are
// json.Marshal's.
func TestEncodeOtherValuesAsMarshal(t *testing.T) {
	for _, v := range []any{(*domain.Case)(nil), (*domain.Proposal)(nil), (*domain.AuditEntry)(nil),
		(*domain.HoursEntry)(nil), domain.Case{Ref: "<C>"}, &domain.Member{Name: "Zoë <&>"}, nil, "x", 1.5,
		&domain.Person{ID: "slack:U1"}, map[string]int{"a": 1}} {
		want, wantErr := json.Marshal(v)
		got, err := encode(v)
		if !bytes.Equal(got, want) || fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Errorf("%#v: %s %v, json.Marshal %s %v", v, got, err, want, wantErr)
		}
	}
}

// benchRecords are records as the writing commands store them.
func benchRecords() map[string]any {
	at := time.Date(2026, 11, 30, 9, 41, 7, 123456789, time.UTC)
	return map[string]any{
		"Case": &domain.Case{Ref: "W-10423", Team: "t0042", Type: "review", Factors: []string{"court"},
			Status: domain.CaseAllocated, Holder: "slack:U0042", PrevHolders: []domain.PersonID{"slack:U0007"},
			CreatedAt: at, QueuedSince: at, AllocatedAt: at.Add(time.Minute)},
		"Proposal": &domain.Proposal{ID: 9123, Team: "t0042", Ref: "W-10423", Kind: domain.ProposalKind("allocate"),
			To: "slack:U0042", By: "slack:UMGR", At: at, Before: 61.53846153846154, After: 69.23076923076923,
			Status: domain.ProposalStatus("accepted"), AnsweredAt: at.Add(time.Second), AnsweredBy: "slack:U0042"},
		"AuditEntry": &domain.AuditEntry{Seq: 40211, At: at, Actor: "slack:UMGR", Team: "t0042",
			Action: "case.allocate", Subject: "W-10423", Before: "queued", After: "allocated",
			Detail: "to <@slack:U0042>, 61.5% → 69.2%"},
		"HoursEntry": &domain.HoursEntry{ID: 77120, Team: "t0042", By: "slack:U0042", Hours: 1.5, Note: "visit", At: at},
	}
}

func BenchmarkEncode(b *testing.B) {
	for _, name := range []string{"Case", "Proposal", "AuditEntry", "HoursEntry"} {
		v := benchRecords()[name]
		b.Run(name+"/direct", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := encode(v); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/encoding-json", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := json.Marshal(v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
