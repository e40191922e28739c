package store

import (
	"github.com/safeload/safeload/internal/domain"
)

// decodeMember decodes a stored membership as decodeCase does a case: the
// JSON json.Marshal writes of a domain.Member directly, anything else
// through json.Unmarshal, so the result and the error are always its. A
// scheduler pass reads every team's members (20,000 on a large store).
func decodeMember(v []byte, team string) (*domain.Member, error) {
	return quickDecode(v, team, (*recordReader).member)
}

// roles are the role names, shared rather than copied.
var roles = func() map[string]domain.Role {
	m := map[string]domain.Role{}
	for _, r := range domain.Roles {
		m[string(r)] = r
	}
	return m
}()

func (r *recordReader) member(m *domain.Member) bool {
	ok := r.object(func(key []byte) (uint32, bool) {
		var (
			s  []byte
			ok bool
		)
		switch string(key) {
		case "team":
			m.Team, ok = r.teamID()
			return 1 << 0, ok
		case "person":
			s, ok = r.bytes()
			m.Person = domain.PersonID(s)
			return 1 << 1, ok
		case "name":
			m.Name, ok = r.str()
			return 1 << 2, ok
		case "role":
			s, ok = r.bytes()
			if role, known := roles[string(s)]; known {
				m.Role = role
			} else {
				m.Role = domain.Role(s)
			}
			return 1 << 3, ok
		case "fte":
			m.FTE, ok = r.float64()
			return 1 << 4, ok
		case "reductions":
			return 1 << 5, r.reductions(&m.Reductions)
		case "joined_at":
			return 1 << 6, r.time(&m.JoinedAt)
		case "asye_started":
			s, ok = r.bytes()
			m.ASYEStarted = domain.Date(s)
			return 1 << 7, ok
		}
		return 0, false
	})
	return ok && r.end()
}

// reductions reads an array of reductions; an empty one is an empty slice,
// as json.Unmarshal makes it.
func (r *recordReader) reductions(out *[]domain.Reduction) bool {
	if !r.byte('[') {
		return false
	}
	*out = []domain.Reduction{}
	if r.byte(']') {
		return true
	}
	for {
		var red domain.Reduction
		if !r.reduction(&red) {
			return false
		}
		*out = append(*out, red)
		if r.byte(']') {
			return true
		}
		if !r.byte(',') {
			return false
		}
	}
}

func (r *recordReader) reduction(red *domain.Reduction) bool {
	return r.object(func(key []byte) (uint32, bool) {
		var (
			s  []byte
			ok bool
		)
		switch string(key) {
		case "reason":
			red.Reason, ok = r.str()
			return 1 << 0, ok
		case "percent":
			red.Percent, ok = r.float64()
			return 1 << 1, ok
		case "until":
			s, ok = r.bytes()
			red.Until = domain.Date(s)
			return 1 << 2, ok
		case "leave":
			red.Leave, ok = r.bool()
			return 1 << 3, ok
		case "note":
			red.Note, ok = r.str()
			return 1 << 4, ok
		case "from":
			s, ok = r.bytes()
			red.From = domain.Date(s)
			return 1 << 5, ok
		}
		return 0, false
	})
}
