package store

import (
	"bytes"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/safeload/safeload/internal/domain"
)

// decodeCase decodes a stored case. Reading a team's open cases is what
// the scheduler's clocks, the digest and the team-wide commands spend most
// of their time on, and encoding/json's reflection took some 7 µs a case:
// this reads the JSON the store writes (json.Marshal of domain.Case)
// directly. It reads only what it can read exactly as json.Unmarshal would;
// anything else (an escape in a string, an unknown or repeated key, a null,
// a number that is not plain, bytes that are not valid JSON) goes to
// json.Unmarshal, so the result and the error are always json.Unmarshal's.
//
// team is the team the case is read from, whose ID the case repeats.
func decodeCase(v []byte, team string) (*domain.Case, error) {
	return quickDecode(v, team, (*recordReader).caseRecord)
}

// quickDecode decodes v into a new T with read, or, where read cannot,
// with json.Unmarshal.
func quickDecode[T any](v []byte, team string, read func(*recordReader, *T) bool) (*T, error) {
	x := new(T)
	if read(&recordReader{jsonReader: jsonReader{b: v}, team: team}, x) {
		return x, nil
	}
	var zero T
	*x = zero
	return x, decode(v, x)
}

// jsonReader reads a strict subset of JSON from b: each method says
// whether it read what it reads, and leaves the position undefined when it
// did not.
type jsonReader struct {
	b []byte
	i int
}

func (r *jsonReader) space() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// byte reads c after any white space.
func (r *jsonReader) byte(c byte) bool {
	r.space()
	if r.i < len(r.b) && r.b[r.i] == c {
		r.i++
		return true
	}
	return false
}

// end reports whether only white space is left.
func (r *jsonReader) end() bool {
	r.space()
	return r.i == len(r.b)
}

// raw reads a string and returns it with its quotes, refusing escapes,
// control characters and invalid UTF-8: for such a string, json.Unmarshal
// gives exactly the bytes between the quotes.
func (r *jsonReader) raw() ([]byte, bool) {
	r.space()
	if r.i >= len(r.b) || r.b[r.i] != '"' {
		return nil, false
	}
	start, j, seen := r.i, r.i+1, uint8(0)
	for j < len(r.b) {
		c := plain[r.b[j]]
		if c == 0 {
			break
		}
		seen |= c
		j++
	}
	if j >= len(r.b) || r.b[j] != '"' {
		return nil, false // an escape, a control character or no end
	}
	r.i = j + 1
	s := r.b[start:r.i]
	if seen&plainNonASCII != 0 && !utf8.Valid(s) {
		return nil, false
	}
	return s, true
}

// plain sorts the bytes of a string: 0 for those raw does not read as they
// are (the quote, the backslash, control characters), else plainASCII or
// plainNonASCII.
var plain = func() (t [256]uint8) {
	for c := 0x20; c < 256; c++ {
		switch {
		case c == '"' || c == '\\':
		case c < utf8.RuneSelf:
			t[c] = plainASCII
		default:
			t[c] = plainNonASCII
		}
	}
	return t
}()

const (
	plainASCII    = 1
	plainNonASCII = 2
)

// bytes reads a string's contents (see raw).
func (r *jsonReader) bytes() ([]byte, bool) {
	s, ok := r.raw()
	if !ok {
		return nil, false
	}
	return s[1 : len(s)-1], true
}

func (r *jsonReader) str() (string, bool) {
	s, ok := r.bytes()
	return string(s), ok
}

// strs reads an array of strings; an empty one is an empty slice, not nil,
// as json.Unmarshal makes it.
func (r *jsonReader) strs(intern func([]byte) string) ([]string, bool) {
	if !r.byte('[') {
		return nil, false
	}
	out := []string{}
	if r.byte(']') {
		return out, true
	}
	for {
		s, ok := r.bytes()
		if !ok {
			return nil, false
		}
		out = append(out, intern(s))
		if r.byte(']') {
			return out, true
		}
		if !r.byte(',') {
			return nil, false
		}
	}
}

// time reads a string into t through time.Time's own UnmarshalJSON, which
// is what json.Unmarshal calls with the same bytes.
func (r *jsonReader) time(t *time.Time) bool {
	s, ok := r.raw()
	return ok && t.UnmarshalJSON(s) == nil
}

// number reads a JSON number and returns its text.
func (r *jsonReader) number() ([]byte, bool) {
	r.space()
	start := r.i
	if r.i < len(r.b) && r.b[r.i] == '-' {
		r.i++
	}
	switch {
	case r.i < len(r.b) && r.b[r.i] == '0':
		r.i++
	case r.i < len(r.b) && r.b[r.i] >= '1' && r.b[r.i] <= '9':
		r.digits()
	default:
		return nil, false
	}
	if r.i < len(r.b) && r.b[r.i] == '.' {
		r.i++
		if r.digits() == 0 {
			return nil, false
		}
	}
	if r.i < len(r.b) && (r.b[r.i] == 'e' || r.b[r.i] == 'E') {
		r.i++
		if r.i < len(r.b) && (r.b[r.i] == '+' || r.b[r.i] == '-') {
			r.i++
		}
		if r.digits() == 0 {
			return nil, false
		}
	}
	return r.b[start:r.i], true
}

func (r *jsonReader) digits() int {
	n := 0
	for r.i < len(r.b) && r.b[r.i] >= '0' && r.b[r.i] <= '9' {
		r.i++
		n++
	}
	return n
}

// int reads a number into an int as json.Unmarshal does: only an integer
// that fits; anything else is left to it (and its error).
func (r *jsonReader) int() (int, bool) {
	s, ok := r.number()
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(string(s), 10, 0)
	return int(n), err == nil
}

func (r *jsonReader) uint64() (uint64, bool) {
	s, ok := r.number()
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(string(s), 10, 64)
	return n, err == nil
}

func (r *jsonReader) float64() (float64, bool) {
	s, ok := r.number()
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(s), 64)
	return f, err == nil
}

func (r *jsonReader) bool() (bool, bool) {
	r.space()
	switch {
	case bytes.HasPrefix(r.b[r.i:], []byte("true")):
		r.i += 4
		return true, true
	case bytes.HasPrefix(r.b[r.i:], []byte("false")):
		r.i += 5
		return false, true
	}
	return false, false
}

// object reads an object whose members field reads, by key; each key may
// come once (json.Unmarshal would let a later one win, and merge objects).
func (r *jsonReader) object(field func(key []byte) (bit uint32, ok bool)) bool {
	if !r.byte('{') {
		return false
	}
	if r.byte('}') {
		return true
	}
	var seen uint32
	for {
		key, ok := r.bytes()
		if !ok || !r.byte(':') {
			return false
		}
		bit, ok := field(key)
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		if r.byte('}') {
			return true
		}
		if !r.byte(',') {
			return false
		}
	}
}

// recordReader reads the records of a team, sharing the strings that
// repeat from record to record (the team's ID, types, statuses, factors,
// roles).
type recordReader struct {
	jsonReader
	team string
}

// teamID reads a string that is most often the team's ID.
func (r *recordReader) teamID() (string, bool) {
	s, ok := r.bytes()
	if string(s) == r.team {
		return r.team, ok
	}
	return string(s), ok
}

// intern returns the known string equal to s without a new allocation, or
// a copy of s.
func intern(s []byte) string {
	if k, ok := known[string(s)]; ok {
		return k
	}
	return string(s)
}

// known are the words cases repeat.
var known = func() map[string]string {
	m := map[string]string{}
	for _, w := range []string{
		string(domain.CaseQueued), string(domain.CaseProposed), string(domain.CaseAllocated), string(domain.CaseClosed),
	} {
		m[w] = w
	}
	pol := domain.DefaultPolicy()
	for w := range pol.CaseTypes {
		m[w] = w
	}
	for w := range pol.Factors {
		m[w] = w
	}
	return m
}()

func (r *recordReader) caseRecord(c *domain.Case) bool {
	ok := r.object(func(key []byte) (uint32, bool) {
		var ok bool
		switch string(key) {
		case "ref":
			c.Ref, ok = r.str()
			return 1 << 0, ok
		case "team":
			c.Team, ok = r.teamID()
			return 1 << 1, ok
		case "type":
			var s []byte
			s, ok = r.bytes()
			c.Type = intern(s)
			return 1 << 2, ok
		case "factors":
			c.Factors, ok = r.strs(intern)
			return 1 << 3, ok
		case "children":
			c.Children, ok = r.int()
			return 1 << 4, ok
		case "status":
			var s []byte
			s, ok = r.bytes()
			c.Status = domain.CaseStatus(intern(s))
			return 1 << 5, ok
		case "holder":
			var s string
			s, ok = r.str()
			c.Holder = domain.PersonID(s)
			return 1 << 6, ok
		case "involved":
			c.Involved, ok = r.people()
			return 1 << 7, ok
		case "prev_holders":
			c.PrevHolders, ok = r.people()
			return 1 << 8, ok
		case "proposal":
			c.Proposal, ok = r.uint64()
			return 1 << 9, ok
		case "override":
			c.Override = new(domain.Override)
			return 1 << 10, r.override(c.Override)
		case "created_at":
			return 1 << 11, r.time(&c.CreatedAt)
		case "queued_since":
			return 1 << 12, r.time(&c.QueuedSince)
		case "allocated_at":
			return 1 << 13, r.time(&c.AllocatedAt)
		case "closed_at":
			return 1 << 14, r.time(&c.ClosedAt)
		case "move_to":
			c.MoveTo, ok = r.str()
			return 1 << 15, ok
		case "moved_from":
			c.MovedFrom, ok = r.str()
			return 1 << 16, ok
		case "move_reason":
			c.MoveReason, ok = r.str()
			return 1 << 17, ok
		case "moved_at":
			return 1 << 18, r.time(&c.MovedAt)
		}
		return 0, false
	})
	return ok && r.end()
}

func (r *recordReader) people() ([]domain.PersonID, bool) {
	ss, ok := r.strs(func(s []byte) string { return string(s) })
	if !ok {
		return nil, false
	}
	out := make([]domain.PersonID, len(ss))
	for i, s := range ss {
		out[i] = domain.PersonID(s)
	}
	return out, true
}

func (r *recordReader) override(o *domain.Override) bool {
	return r.object(func(key []byte) (uint32, bool) {
		var (
			s  string
			ok bool
		)
		switch string(key) {
		case "reason":
			o.Reason, ok = r.str()
			return 1 << 0, ok
		case "review_on":
			s, ok = r.str()
			o.ReviewOn = domain.Date(s)
			return 1 << 1, ok
		case "by":
			s, ok = r.str()
			o.By = domain.PersonID(s)
			return 1 << 2, ok
		case "at":
			return 1 << 3, r.time(&o.At)
		case "percent":
			o.Percent, ok = r.float64()
			return 1 << 4, ok
		case "reviewed":
			o.Reviewed, ok = r.bool()
			return 1 << 5, ok
		case "reviewed_by":
			s, ok = r.str()
			o.ReviewedBy = domain.PersonID(s)
			return 1 << 6, ok
		case "reviewed_at":
			return 1 << 7, r.time(&o.ReviewedAt)
		}
		return 0, false
	})
}
