package store

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/safeload/safeload/internal/domain"
)

// Tx is one bbolt transaction seen through domain.Tx.
type Tx struct {
	tx  KV
	now time.Time
	// The last team's bucket looked up: a command asks for its team's
	// sub-buckets many times. Team buckets are never deleted.
	lastTeam   string
	lastTeamTB Bucket
}

var _ domain.Tx = (*Tx)(nil)

func notFound(what string, args ...any) error {
	return domain.Errorf(domain.ENOTFOUND, what, args...)
}

// Now is the one timestamp of this transaction.
func (t *Tx) Now() time.Time { return t.now }

func (t *Tx) get(bucket []byte, key []byte, v any) (bool, error) {
	b := t.tx.Bucket(bucket).Get(key)
	if b == nil {
		return false, nil
	}
	return true, decode(b, v)
}

func (t *Tx) put(b Bucket, key []byte, v any) error {
	buf, err := encode(v)
	if err != nil {
		return err
	}
	return b.Put(key, buf)
}

// ---- people ----

func (t *Tx) Person(id domain.PersonID) (*domain.Person, error) {
	var p domain.Person
	if ok, err := t.get(bucketPeople, []byte(id), &p); err != nil {
		return nil, err
	} else if !ok {
		return nil, notFound("I don't know %s yet.", id)
	}
	return &p, nil
}

func (t *Tx) PutPerson(p *domain.Person) error {
	return t.put(t.tx.Bucket(bucketPeople), []byte(p.ID), p)
}

// ---- teams ----

func (t *Tx) Team(id string) (*domain.Team, error) {
	b := t.tx.Bucket(bucketTeams).Get([]byte(id))
	if b == nil {
		return nil, notFound("There is no team %q.", id)
	}
	return teamsDecoded.decode(b)
}

func (t *Tx) TeamByChannel(ch domain.ChannelID) (*domain.Team, error) {
	id := t.tx.Bucket(bucketChannels).Get([]byte(ch))
	if id == nil {
		return nil, notFound("This channel is not set up for a team yet.")
	}
	return t.Team(string(id))
}

func (t *Tx) Teams() ([]*domain.Team, error) {
	return decodeEach(t.tx.Bucket(bucketTeams), decodeNew[domain.Team])
}

// PutTeam stores the team, creates its buckets and keeps the channel index
// pointing at it (a channel belongs to one team at most).
func (t *Tx) PutTeam(tm *domain.Team) error {
	if tm.ID == "" {
		return domain.Errorf(domain.EINVALID, "A team needs an ID.")
	}
	var old domain.Team
	existed, err := t.get(bucketTeams, []byte(tm.ID), &old)
	if err != nil {
		return err
	}
	chans := t.tx.Bucket(bucketChannels)
	if tm.Channel != "" {
		if owner := chans.Get([]byte(tm.Channel)); owner != nil && string(owner) != tm.ID {
			return domain.Errorf(domain.ECONFLICT, "That channel already belongs to team %q.", owner)
		}
	}
	if existed && old.Channel != "" && old.Channel != tm.Channel {
		if err := chans.Delete([]byte(old.Channel)); err != nil {
			return err
		}
	}
	if tm.Channel != "" {
		if err := chans.Put([]byte(tm.Channel), []byte(tm.ID)); err != nil {
			return err
		}
	}
	tb, err := t.tx.Bucket(bucketTeamData).CreateBucketIfNotExists([]byte(tm.ID))
	if err != nil {
		return err
	}
	hadConcerns, hadPending := tb.Bucket(subOpenConcerns) != nil, tb.Bucket(subPendingTo) != nil
	for _, sub := range teamSubBuckets {
		if _, err := tb.CreateBucketIfNotExists(sub); err != nil {
			return err
		}
	}
	if !hadConcerns {
		if err := t.fillOpenConcerns(tm.ID); err != nil {
			return err
		}
	}
	if !hadPending {
		if err := t.fillPendingTo(tm.ID); err != nil {
			return err
		}
	}
	if err := t.bumpRev(tm.ID); err != nil {
		return err
	}
	return t.put(t.tx.Bucket(bucketTeams), []byte(tm.ID), tm)
}

// teamRoot returns a team's own bucket (t/<team>), nil when the team has
// none; the last one found is kept (lastTeam).
func (t *Tx) teamRoot(team string) Bucket {
	if t.lastTeamTB == nil || t.lastTeam != team {
		tb := t.tx.Bucket(bucketTeamData).Bucket([]byte(team))
		if tb == nil {
			return nil
		}
		t.lastTeam, t.lastTeamTB = team, tb
	}
	return t.lastTeamTB
}

// teamBucket returns a team's sub-bucket, or nil when the team does not exist.
func (t *Tx) teamBucket(team string, sub []byte) Bucket {
	tb := t.teamRoot(team)
	if tb == nil {
		return nil
	}
	return tb.Bucket(sub)
}

func (t *Tx) mustTeamBucket(team string, sub []byte) (Bucket, error) {
	b := t.teamBucket(team, sub)
	if b == nil {
		return nil, notFound("There is no team %q.", team)
	}
	return b, nil
}

// ---- members ----

func (t *Tx) Member(team string, p domain.PersonID) (*domain.Member, error) {
	b := t.teamBucket(team, subMembers)
	if b == nil {
		return nil, notFound("There is no team %q.", team)
	}
	v := b.Get([]byte(p))
	if v == nil {
		return nil, notFound("%s is not a member of this team.", p)
	}
	return membersDecoded.decode(v)
}

func (t *Tx) Members(team string) ([]*domain.Member, error) {
	b, err := t.mustTeamBucket(team, subMembers)
	if err != nil {
		return nil, err
	}
	return decodeEach(b, func(v []byte) (*domain.Member, error) { return decodeMember(v, team) })
}

func (t *Tx) PutMember(m *domain.Member) error {
	b, err := t.mustTeamBucket(m.Team, subMembers)
	if err != nil {
		return err
	}
	if err := t.tx.Bucket(bucketMemberships).Put(membershipKey(string(m.Person), m.Team), []byte{}); err != nil {
		return err
	}
	if err := t.bumpRev(m.Team); err != nil {
		return err
	}
	return t.put(b, []byte(m.Person), m)
}

func (t *Tx) Memberships(p domain.PersonID) ([]*domain.Member, error) {
	prefix := membershipKey(string(p), "")
	c := prefixCursor(t.tx.Bucket(bucketMemberships), prefix)
	var out []*domain.Member
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		m, err := t.Member(string(k[len(prefix):]), p)
		if domain.ErrorCode(err) == domain.ENOTFOUND {
			continue
		} else if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// ---- cases ----

func (t *Tx) Case(team, ref string) (*domain.Case, error) {
	b := t.teamBucket(team, subCases)
	var v []byte
	if b != nil {
		v = b.Get([]byte(ref))
	}
	if v == nil {
		return nil, notFound("There is no case %s in this team.", ref)
	}
	return casesDecoded.decode(v)
}

func (t *Tx) CaseTeam(ref string) (string, error) {
	v := t.tx.Bucket(bucketCaseRefs).Get([]byte(ref))
	if v == nil {
		return "", notFound("There is no case %s.", ref)
	}
	return string(v), nil
}

func (t *Tx) Cases(team string) ([]*domain.Case, error) {
	b, err := t.mustTeamBucket(team, subCases)
	if err != nil {
		return nil, err
	}
	return decodeEach(b, func(v []byte) (*domain.Case, error) { return decodeCase(v, team) })
}

// PutCase stores a case; a reference already used by another team is a conflict.
func (t *Tx) PutCase(c *domain.Case) error {
	b, err := t.mustTeamBucket(c.Team, subCases)
	if err != nil {
		return err
	}
	// An entry written again with the bytes it has already dirties a page
	// of the file all the same, and every page costs the commit its own
	// write to disk: the reference and the indexes are written only when
	// they change.
	refs := t.tx.Bucket(bucketCaseRefs)
	switch owner := refs.Get([]byte(c.Ref)); {
	case owner == nil:
		if err := refs.Put([]byte(c.Ref), []byte(c.Team)); err != nil {
			return err
		}
	case string(owner) != c.Team:
		return domain.Errorf(domain.ECONFLICT, "The case reference %s is already used by another team.", c.Ref)
	}
	open, err := t.mustTeamBucket(c.Team, subOpen)
	if err != nil {
		return err
	}
	held, err := t.mustTeamBucket(c.Team, subHeld)
	if err != nil {
		return err
	}
	if err := indexCase(open, held, c, open.Get([]byte(c.Ref))); err != nil {
		return err
	}
	if err := t.bumpRev(c.Team); err != nil {
		return err
	}
	return t.put(b, []byte(c.Ref), c)
}

// OpenCases lists a team's cases that are not closed, in the order of
// Cases, without reading the closed ones: a team's closed cases pile up
// over the years, and no workload figure counts them.
func (t *Tx) OpenCases(team string) ([]*domain.Case, error) {
	b, err := t.mustTeamBucket(team, subCases)
	if err != nil {
		return nil, err
	}
	open := t.teamBucket(team, subOpen)
	if open == nil {
		// A store of schema 1 opened read-only, which was not migrated:
		// read every case.
		all, err := t.Cases(team)
		return slices.DeleteFunc(all, func(c *domain.Case) bool { return !c.Open() }), err
	}
	var out []*domain.Case
	get := getter(b)
	err = open.ForEach(func(ref, _ []byte) error {
		v := get(ref)
		if v == nil {
			return fmt.Errorf("store: the open-case index of team %s lists %s, which is not there", team, ref)
		}
		c, err := decodeCase(v, team)
		if err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	return out, err
}

// ---- proposals ----

func (t *Tx) Proposal(id uint64) (*domain.Proposal, error) {
	v := t.tx.Bucket(bucketProposals).Get(itob(id))
	if v == nil {
		return nil, notFound("That proposal no longer exists.")
	}
	p, err := decodeProposal(v)
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (t *Tx) PutProposal(p *domain.Proposal) error {
	b := t.tx.Bucket(bucketProposals)
	if p.ID == 0 {
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		p.ID = id
	}
	if err := t.indexPending(p); err != nil {
		return err
	}
	return t.put(b, itob(p.ID), p)
}

func (t *Tx) PendingProposals() ([]*domain.Proposal, error) {
	var out []*domain.Proposal
	err := t.tx.Bucket(bucketPending).ForEach(func(k, _ []byte) error {
		p, err := t.Proposal(btoi(k))
		if err != nil {
			return err
		}
		out = append(out, p)
		return nil
	})
	return out, err
}

// ---- concerns ----

func (t *Tx) Concern(id uint64) (*domain.Concern, error) {
	var c domain.Concern
	if ok, err := t.get(bucketConcerns, itob(id), &c); err != nil {
		return nil, err
	} else if !ok {
		return nil, notFound("There is no concern number %d.", id)
	}
	return &c, nil
}

func (t *Tx) PutConcern(c *domain.Concern) error {
	b := t.tx.Bucket(bucketConcerns)
	var old *domain.Concern
	if c.ID == 0 {
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		c.ID = id
	} else if v := b.Get(itob(c.ID)); v != nil {
		old = new(domain.Concern)
		if err := decode(v, old); err != nil {
			return err
		}
	}
	if err := t.indexConcern(c, old); err != nil {
		return err
	}
	if err := t.indexTeamConcern(old, c); err != nil {
		return err
	}
	return t.put(b, itob(c.ID), c)
}

// Concerns lists a team's concerns (every team's for ""), oldest first,
// reading only that team's from the index.
func (t *Tx) Concerns(team string, openOnly bool) ([]*domain.Concern, error) {
	if team != "" {
		if out, ok, err := t.teamConcerns(team, openOnly); ok {
			return out, err
		}
	}
	var out []*domain.Concern
	err := t.tx.Bucket(bucketConcerns).ForEach(func(k, v []byte) error {
		var c domain.Concern
		if err := decode(v, &c); err != nil {
			return err
		}
		if (team == "" || c.Team == team) && (!openOnly || !c.Resolved()) {
			out = append(out, &c)
		}
		return nil
	})
	return out, err
}

// ---- hours ----

func (t *Tx) AddHours(h *domain.HoursEntry) error {
	b, err := t.mustTeamBucket(h.Team, subHours)
	if err != nil {
		return err
	}
	id, err := b.NextSequence()
	if err != nil {
		return err
	}
	h.ID = id
	if h.At.IsZero() {
		h.At = t.now
	}
	by, err := t.mustTeamBucket(h.Team, subHoursBy)
	if err != nil {
		return err
	}
	if err := by.Put(hoursByKey(h.By, h.At, id), hoursValue(h.Hours)); err != nil {
		return err
	}
	return t.put(b, itob(id), h)
}

// HoursBy lists the hours one person logged in a team at or after since,
// oldest first, reading none of anyone else's and none from before since.
func (t *Tx) HoursBy(team string, p domain.PersonID, since time.Time) ([]*domain.HoursEntry, error) {
	b, err := t.mustTeamBucket(team, subHours)
	if err != nil {
		return nil, err
	}
	by := t.teamBucket(team, subHoursBy)
	if by == nil {
		// A store of schema 1 opened read-only, which was not migrated.
		all, err := t.Hours(team, since)
		return oldestFirst(slices.DeleteFunc(all, func(h *domain.HoursEntry) bool { return h.By != p })), err
	}
	prefix := hoursByPrefix(p)
	var out []*domain.HoursEntry
	c := prefixCursor(by, prefix)
	for k, _ := c.Seek(append(prefix, timeKey(since)...)); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		v := b.Get(k[len(k)-8:])
		if v == nil {
			return nil, fmt.Errorf("store: the hours index of team %s lists an entry that is not there", team)
		}
		var h domain.HoursEntry
		if err := decode(v, &h); err != nil {
			return nil, err
		}
		if !h.At.Before(since) {
			out = append(out, &h)
		}
	}
	return oldestFirst(out), nil // the index holds no order among times before 1970
}

func oldestFirst(hs []*domain.HoursEntry) []*domain.HoursEntry {
	slices.SortStableFunc(hs, func(a, b *domain.HoursEntry) int { return a.At.Compare(b.At) })
	return hs
}

func (t *Tx) Hours(team string, since time.Time) ([]*domain.HoursEntry, error) {
	b, err := t.mustTeamBucket(team, subHours)
	if err != nil {
		return nil, err
	}
	var out []*domain.HoursEntry
	err = b.ForEach(func(k, v []byte) error {
		var h domain.HoursEntry
		if err := decode(v, &h); err != nil {
			return err
		}
		if !h.At.Before(since) {
			out = append(out, &h)
		}
		return nil
	})
	return out, err
}

// ---- audit ----

func (t *Tx) Audit(e *domain.AuditEntry) error {
	team := e.Team
	if team == "" {
		team = auditGlobal
	}
	tb, err := t.tx.Bucket(bucketTeamData).CreateBucketIfNotExists([]byte(team))
	if err != nil {
		return err
	}
	b, err := tb.CreateBucketIfNotExists(subAudit)
	if err != nil {
		return err
	}
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	e.Seq = seq
	if e.At.IsZero() {
		e.At = t.now
	}
	return t.put(b, auditKey(e.At, seq), e)
}

func (t *Tx) AuditLog(team string, since time.Time) ([]*domain.AuditEntry, error) {
	if team == "" {
		team = auditGlobal
	}
	b := t.teamBucket(team, subAudit)
	if b == nil {
		return nil, nil
	}
	var out []*domain.AuditEntry
	c := b.Cursor()
	start := auditKey(time.Unix(0, 0), 0)
	if !since.IsZero() && since.UnixNano() > 0 {
		start = auditKey(since, 0)
	}
	for k, v := c.Seek(start); k != nil; k, v = c.Next() {
		var e domain.AuditEntry
		if err := decode(v, &e); err != nil {
			return nil, err
		}
		out = append(out, &e)
	}
	return out, nil
}

// ---- outbox ----

func (t *Tx) Enqueue(it *domain.OutboxItem) error {
	b := t.tx.Bucket(bucketOutbox)
	id, err := b.NextSequence()
	if err != nil {
		return err
	}
	it.ID = id
	if it.CreatedAt.IsZero() {
		it.CreatedAt = t.now
	}
	if it.NextTry.IsZero() {
		it.NextTry = t.now
	}
	if err := t.put(b, itob(id), it); err != nil {
		return err
	}
	return indexOutbox(t.tx, nil, it)
}

func (t *Tx) OutboxItem(id uint64) (*domain.OutboxItem, error) {
	var it domain.OutboxItem
	if ok, err := t.get(bucketOutbox, itob(id), &it); err != nil {
		return nil, err
	} else if !ok {
		return nil, notFound("There is no outbox item %d.", id)
	}
	return &it, nil
}

func (t *Tx) Outbox(limit int) ([]*domain.OutboxItem, error) {
	var out []*domain.OutboxItem
	c := t.tx.Bucket(bucketOutbox).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		var it domain.OutboxItem
		if err := decode(v, &it); err != nil {
			return nil, err
		}
		if it.Failed {
			continue
		}
		out = append(out, &it)
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	return out, nil
}

func (t *Tx) PutOutboxItem(it *domain.OutboxItem) error {
	if it.ID == 0 {
		return t.Enqueue(it)
	}
	old, err := t.OutboxItem(it.ID)
	if err != nil && domain.ErrorCode(err) != domain.ENOTFOUND {
		return err
	}
	if err := t.put(t.tx.Bucket(bucketOutbox), itob(it.ID), it); err != nil {
		return err
	}
	return indexOutbox(t.tx, old, it)
}

func (t *Tx) DeleteOutboxItem(id uint64) error {
	old, err := t.OutboxItem(id)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	if err := unindexOutbox(t.tx, old); err != nil {
		return err
	}
	return t.tx.Bucket(bucketOutbox).Delete(itob(id))
}

// ---- state ----

// GetState, PutState, DeleteState and StateKeys read and write the state
// bucket's named JSON records. They are the store's own: the typed methods
// (Fired, DigestPosted, WeekSnapshot …) build on them and own the names, so
// they are not part of domain.Tx.

// GetState decodes the record named key into v, false when there is none.
func (t *Tx) GetState(key string, v any) (bool, error) {
	return t.get(bucketState, []byte(key), v)
}

// PutState stores v, JSON-encoded, as the record named key.
func (t *Tx) PutState(key string, v any) error {
	return t.put(t.tx.Bucket(bucketState), []byte(key), v)
}

// DeleteState removes the record named key.
func (t *Tx) DeleteState(key string) error {
	return t.tx.Bucket(bucketState).Delete([]byte(key))
}

// StateKeys lists the names of the records that begin with prefix, sorted.
func (t *Tx) StateKeys(prefix string) ([]string, error) {
	var out []string
	c := t.tx.Bucket(bucketState).Cursor()
	for k, _ := c.Seek([]byte(prefix)); k != nil && strings.HasPrefix(string(k), prefix); k, _ = c.Next() {
		out = append(out, string(k))
	}
	sort.Strings(out)
	return out, nil
}

// decodeEach decodes every record of a bucket with dec, in key order.
func decodeEach[T any](b Bucket, dec func([]byte) (*T, error)) ([]*T, error) {
	var out []*T
	err := b.ForEach(func(_, v []byte) error {
		x, err := dec(v)
		if err != nil {
			return err
		}
		out = append(out, x)
		return nil
	})
	return out, err
}

// decodeNew decodes a record through json.Unmarshal, for decodeEach.
func decodeNew[T any](v []byte) (*T, error) {
	x := new(T)
	return x, decode(v, x)
}
