package store

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/domain"
)

// The clones copy every slice, map or pointer a record holds: a field of
// such a kind added to Team, Member or Reduction must be added here and to
// its clone, or a caller's change to its copy would reach the cache.
func TestDecodedClonesCoverEveryReference(t *testing.T) {
	cloned := map[string]bool{"Team.Incoming": true, "Member.Reductions": true,
		"Case.Factors": true, "Case.Involved": true, "Case.PrevHolders": true, "Case.Override": true}
	for _, typ := range []reflect.Type{reflect.TypeFor[domain.Team](), reflect.TypeFor[domain.Member](), reflect.TypeFor[domain.Reduction](),
		reflect.TypeFor[domain.Case](), reflect.TypeFor[domain.Override]()} {
		for i := range typ.NumField() {
			f := typ.Field(i)
			name := typ.Name() + "." + f.Name
			switch f.Type.Kind() {
			case reflect.Slice, reflect.Map, reflect.Pointer, reflect.Interface, reflect.Array, reflect.Chan, reflect.Func:
				if !cloned[name] {
					t.Errorf("%s (%s) is not copied by its clone", name, f.Type)
				}
				if f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() != reflect.String && f.Type.Elem() != reflect.TypeFor[domain.Reduction]() ||
					f.Type.Kind() == reflect.Pointer && f.Type.Elem() != reflect.TypeFor[domain.Override]() {
					t.Errorf("%s: a slice of %s needs a deep copy", name, f.Type.Elem())
				}
			case reflect.Struct:
				if f.Type != reflect.TypeFor[time.Time]() {
					t.Errorf("%s: struct %s is not known to hold no references", name, f.Type)
				}
			}
		}
	}
}

// A cached record is the record the bytes decode to, and what a caller
// does to its copy changes neither the cache nor the next caller's copy.
func TestDecodedIsExactAndCopied(t *testing.T) {
	m := domain.Member{Team: "t1", Person: "slack:U1", Name: "Ann", Role: domain.Role("practitioner"), FTE: 0.8,
		Reductions: []domain.Reduction{{Reason: "study", Percent: 10, Until: "2026-12-31"}}, JoinedAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
	tm := domain.Team{ID: "t1", Name: "North", Channel: "slack:C1", CreatedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Incoming: []string{"R1", "R2"}}
	mb, _ := json.Marshal(m)
	tb, _ := json.Marshal(tm)
	for round := 0; round < 3; round++ { // a miss, then hits
		gotM, err := membersDecoded.decode(mb)
		if err != nil || !reflect.DeepEqual(*gotM, m) {
			t.Fatalf("round %d: member %+v, %v; want %+v", round, gotM, err, m)
		}
		gotT, err := teamsDecoded.decode(tb)
		if err != nil || !reflect.DeepEqual(*gotT, tm) {
			t.Fatalf("round %d: team %+v, %v; want %+v", round, gotT, err, tm)
		}
		gotM.Name, gotM.Reductions[0].Percent = "changed", 99
		gotM.Reductions = append(gotM.Reductions, domain.Reduction{Reason: "x"})
		gotT.Incoming[0], gotT.Name = "changed", "changed"
	}
	if _, err := membersDecoded.decode([]byte("{not json")); err == nil {
		t.Fatal("bad bytes must fail to decode")
	}
}

// The cache stays bounded.
func TestDecodedIsBounded(t *testing.T) {
	c := &decodedCache[domain.Team]{clone: func(t *domain.Team) *domain.Team { c := *t; return &c }}
	for i := range decodedMax + 10 {
		b, _ := json.Marshal(domain.Team{ID: string(rune('a' + i%26)), Posts: float64(i)})
		if _, err := c.decode(b); err != nil {
			t.Fatal(err)
		}
	}
	if len(c.m) > decodedMax {
		t.Fatalf("%d entries, at most %d", len(c.m), decodedMax)
	}
}

// The same for cases, whose slices and override a command changes on its
// copy before writing it back.
func TestDecodedCasesAreExactAndCopied(t *testing.T) {
	c := domain.Case{Ref: "C-1", Team: "t1", Type: "cin", Factors: []string{"high_risk"}, Status: domain.CaseAllocated,
		Holder: "slack:U1", Involved: []domain.PersonID{"slack:U2"}, PrevHolders: []domain.PersonID{"slack:U3"},
		Override: &domain.Override{Reason: "cover", Percent: 104}, CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	b, _ := json.Marshal(c)
	for round := 0; round < 3; round++ {
		got, err := casesDecoded.decode(b)
		if err != nil || !reflect.DeepEqual(*got, c) {
			t.Fatalf("round %d: case %+v, %v; want %+v", round, got, err, c)
		}
		got.Factors[0], got.Involved[0], got.PrevHolders[0] = "changed", "changed", "changed"
		got.Override.Percent, got.Holder = 1, "changed"
	}
}
