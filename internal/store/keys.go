package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/safeload/safeload/internal/domain"
)

// The key layout. Every top-level bucket is created by Open.
//
//	meta        "schema" → uint64 big-endian
//	people      person ID → Person
//	teams       team ID → Team
//	channels    channel ID → team ID
//	t/<team>/   per team: members (person → Member), cases (ref → Case),
//	            open (ref → holder: the cases not closed, since schema 2;
//	            the value is the case's holder, empty for none, since
//	            schema 4), held (holder 0x00 ref → nothing: the open cases
//	            each person holds, since schema 4), openconcerns (person
//	            0x00 seq → nothing: the open concerns each person raised,
//	            since schema 4), pendingto (person 0x00 seq → nothing:
//	            the proposals waiting for each person's answer, since
//	            schema 4),
//	            audit (seq → AuditEntry), hours (seq → HoursEntry),
//	            hoursby (person 0x00 time seq → the entry's hours as a
//	            float64's 8 big-endian bits: each person's hours by time,
//	            since schema 2; the value since schema 4), reviews (seq →
//	            Review: caseload reviews in supervision; made on a team's first)
//	caserefs    ref → team ID (references are unique across the store)
//	memberships person ID 0x00 team ID → nothing (who is in which team)
//	proposals   seq → Proposal
//	pending     seq → team 0x00 person (proposals awaiting an answer,
//	            and whose; the value since schema 4)
//	concerns    seq → Concern
//	teamconcerns team 0x00 seq → nothing: each team's concerns (since schema 5)
//	outbox      seq → OutboxItem (oldest first)
//	outboxdue   next try (timeKey) seq → nothing: waiting items by when
//	            they are due (since schema 3)
//	outboxlive  seq → nothing: waiting (not failed) items (since schema 3)
//	state       name → JSON: the scheduler's records (see clockKey and
//	            digestSlotKey below) and the weekly snapshots
//	            "snap:<team>:<Monday>" (see snapshots.go)
//	convrefs    person or channel ID → ConversationRef (where a platform
//	            like Teams reaches them later)
//
// Sequences are bbolt's NextSequence as 8-byte big-endian, so keys sort in
// the order they were made.
var (
	bucketMeta        = []byte("meta")
	bucketPeople      = []byte("people")
	bucketTeams       = []byte("teams")
	bucketChannels    = []byte("channels")
	bucketTeamData    = []byte("t")
	bucketCaseRefs    = []byte("caserefs")
	bucketMemberships = []byte("memberships")
	bucketProposals   = []byte("proposals")
	bucketPending     = []byte("pending")
	bucketConcerns    = []byte("concerns")
	bucketOutbox      = []byte("outbox")
	bucketOutboxDue   = []byte("outboxdue")
	bucketOutboxLive  = []byte("outboxlive")
	bucketState       = []byte("state")
	bucketConvRefs    = []byte("convrefs")

	bucketTeamConcerns = []byte("teamconcerns")

	subMembers = []byte("members")
	subCases   = []byte("cases")
	subOpen    = []byte("open")
	subAudit   = []byte("audit")
	subHours   = []byte("hours")
	subHoursBy = []byte("hoursby")
	subReviews = []byte("reviews")
	subHeld    = []byte("held")

	subOpenConcerns = []byte("openconcerns")
	subPendingTo    = []byte("pendingto")

	keySchema = []byte("schema")
	// keyOutboxDepth counts the waiting outbox items (since schema 3).
	keyOutboxDepth = []byte("outboxdepth")

	// auditGlobal holds entries that belong to no team (e.g. admin grants).
	auditGlobal = "_"
)

var topBuckets = [][]byte{
	bucketMeta, bucketPeople, bucketTeams, bucketChannels, bucketTeamData, bucketCaseRefs,
	bucketMemberships, bucketProposals, bucketPending, bucketConcerns, bucketOutbox, bucketState, bucketConvRefs,
	bucketOutboxDue, bucketOutboxLive, bucketTeamConcerns,
}

var teamSubBuckets = [][]byte{subMembers, subCases, subOpen, subAudit, subHours, subHoursBy, subReviews, subHeld, subOpenConcerns, subPendingTo}

// indexBuckets are the team sub-buckets that hold an index, not records.
var indexBuckets = map[string]bool{string(subOpen): true, string(subHoursBy): true, string(subHeld): true, string(subOpenConcerns): true, string(subPendingTo): true}

func itob(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

func btoi(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

func membershipKey(person, team string) []byte {
	k := make([]byte, 0, len(person)+1+len(team))
	k = append(k, person...)
	k = append(k, 0)
	return append(k, team...)
}

func encode(v any) ([]byte, error) { return encodeRecord(v) }

// decode copies out of bbolt's memory by unmarshalling, so values stay valid
// after the transaction ends.
func decode(b []byte, v any) error { return json.Unmarshal(b, v) }

// auditKey orders a team's audit entries by time, then sequence, so the log
// can be read from a moment on with one seek.
func auditKey(at time.Time, seq uint64) []byte {
	k := make([]byte, 16)
	binary.BigEndian.PutUint64(k, uint64(at.UnixNano()))
	binary.BigEndian.PutUint64(k[8:], seq)
	return k
}

// timeKey is t as 8 big-endian bytes that sort as the times do, from 1970
// to 2262; earlier times sort as 1970 and later ones as 2262, so a seek
// by time may only start early, never late.
func timeKey(t time.Time) []byte {
	var n uint64
	switch {
	case t.Before(time.Unix(0, 0)):
		n = 0
	case t.After(time.Unix(0, math.MaxInt64)):
		n = math.MaxInt64
	default:
		n = uint64(t.UnixNano())
	}
	return itob(n)
}

// hoursByKey is a person's entry in a team's hours index.
func hoursByKey(p domain.PersonID, at time.Time, seq uint64) []byte {
	k := hoursByPrefix(p)
	k = append(k, timeKey(at)...)
	return append(k, itob(seq)...)
}

// heldKey is a case's entry in its team's index of the cases each person
// holds.
func heldKey(holder domain.PersonID, ref string) []byte {
	k := hoursByPrefix(holder)
	return append(k, ref...)
}

// hoursValue is an hours entry's value in the hours index: its hours, so
// that a week's total needs no record decoded.
func hoursValue(h float64) []byte { return itob(math.Float64bits(h)) }

func hoursByPrefix(p domain.PersonID) []byte {
	k := make([]byte, 0, len(p)+1+16)
	k = append(k, p...)
	return append(k, 0)
}

// checkRecords decodes every record so that a store that bbolt finds sound
// but that this program cannot read is reported too.
func checkRecords(tx KV) []error {
	var errs []error
	each := func(where string, b Bucket) {
		if b == nil {
			return
		}
		_ = b.ForEach(func(k, v []byte) error {
			if len(v) == 0 {
				return nil // nested bucket or index entry
			}
			var x any
			if err := json.Unmarshal(v, &x); err != nil {
				errs = append(errs, fmt.Errorf("%s %q: %v", where, k, err))
			}
			return nil
		})
	}
	for _, name := range [][]byte{bucketPeople, bucketTeams, bucketProposals, bucketConcerns, bucketOutbox, bucketState, bucketConvRefs} {
		each(string(name), tx.Bucket(name))
	}
	if schemaOf(tx) >= 3 {
		errs = append(errs, checkOutboxIndex(tx)...)
	}
	if schemaOf(tx) >= 4 {
		errs = append(errs, checkOpenConcerns(tx)...)
		errs = append(errs, checkPendingTo(tx)...)
	}
	if schemaOf(tx) >= 5 {
		errs = append(errs, checkConcernIndex(tx)...)
	}
	if td := tx.Bucket(bucketTeamData); td != nil {
		_ = td.ForEachBucket(func(team []byte) error {
			tb := td.Bucket(team)
			for _, sub := range teamSubBuckets {
				if indexBuckets[string(sub)] {
					continue // keys and values of its own, checked below
				}
				each(fmt.Sprintf("team %s %s", team, sub), tb.Bucket(sub))
			}
			if schemaOf(tx) >= 2 {
				errs = append(errs, checkOpenIndex(team, tb)...)
				errs = append(errs, checkHoursIndex(team, tb)...)
			}
			if schemaOf(tx) >= 4 {
				errs = append(errs, checkHeldIndex(team, tb)...)
			}
			return nil
		})
	}
	return errs
}

// checkOpenIndex verifies that a team's open-case index lists exactly the
// cases that are not closed.
func checkOpenIndex(team []byte, tb Bucket) []error {
	cases, open := tb.Bucket(subCases), tb.Bucket(subOpen)
	if cases == nil {
		return nil
	}
	if open == nil {
		return []error{fmt.Errorf("team %s has no open-case index", team)}
	}
	var errs []error
	_ = cases.ForEach(func(ref, v []byte) error {
		var c struct {
			Status domain.CaseStatus `json:"status"`
		}
		if json.Unmarshal(v, &c) != nil {
			return nil // reported with the records
		}
		listed := open.Get(ref) != nil
		if isOpen := c.Status != domain.CaseClosed; isOpen != listed {
			errs = append(errs, fmt.Errorf("team %s: case %s is %s but the open-case index says %s", team, ref, c.Status,
				map[bool]string{true: "open", false: "closed"}[listed]))
		}
		return nil
	})
	_ = open.ForEach(func(ref, _ []byte) error {
		if cases.Get(ref) == nil {
			errs = append(errs, fmt.Errorf("team %s: the open-case index lists %s, which is not there", team, ref))
		}
		return nil
	})
	return errs
}

// checkHoursIndex verifies that a team's hours index lists every entry of
// its hours, under its person and time, and nothing else.
func checkHoursIndex(team []byte, tb Bucket) []error {
	hours, by := tb.Bucket(subHours), tb.Bucket(subHoursBy)
	if hours == nil {
		return nil
	}
	if by == nil {
		return []error{fmt.Errorf("team %s has no hours index", team)}
	}
	var errs []error
	want := map[string]bool{}
	_ = hours.ForEach(func(k, v []byte) error {
		var h domain.HoursEntry
		if json.Unmarshal(v, &h) != nil || len(k) != 8 {
			return nil // reported with the records
		}
		key := hoursByKey(h.By, h.At, btoi(k))
		want[string(key)] = true
		if by.Get(key) == nil {
			errs = append(errs, fmt.Errorf("team %s: hours entry %d is missing from the hours index", team, btoi(k)))
		}
		return nil
	})
	_ = by.ForEach(func(k, _ []byte) error {
		if !want[string(k)] {
			errs = append(errs, fmt.Errorf("team %s: the hours index has an entry for no hours entry (%q)", team, k))
		}
		return nil
	})
	return errs
}

// outboxDueKey orders waiting outbox items by when they are next due.
func outboxDueKey(next time.Time, seq uint64) []byte {
	return append(timeKey(next), itob(seq)...)
}

// The scheduler's records in the state bucket. Each holds a firing
// (firingRecord), written in the transaction that enqueued its messages;
// team IDs are slugs and case references have no colon, so the keys cannot
// run into each other. Times in keys are UTC: Unix nanoseconds for exact
// instants, RFC 3339 for digest slots; weeks and dates are YYYY-MM-DD.
//
//	esc:concern:<id>:<n>                 the n-th escalation of a concern
//	esc:highrisk:<team>:<ref>:<queued>   a high-risk case waiting too long (then :2, :3 … each working day)
//	esc:override:<team>:<ref>:<at>       an override due for review (then :2, :3 … each working day;
//	                                     after a review that continues it, :r<review date> before them)
//	esc:noplan:<id>                      a concern acknowledged with no plan in time (then :2 …)
//	esc:teamover:<team>                  the team over capacity: when it crossed, the last alert
//	esc:longover:<team>:<person>:<week>  over capacity for weeks, once per run of weeks
//	esc:nosm:<kind>:<subject>            the channel told it has no service manager
//	digest:<team>:<slot>                 a team's scheduled digest, once per slot
//	digest-sm:<person>:<slot>            a service manager's digest, once per slot
//	digest-since                         the digest schedule's first pass ever (a firing's "at")
//	healthz:last-digest                  when a digest last went out (a JSON time)
//
// These strings are what stores already hold: changing one would make its
// clock fire again after an upgrade.
const (
	keyDigestsSince = "digest-since"
	keyLastDigest   = "healthz:last-digest"
)

// clockKey is where a clock's firing is kept, or an error when the key
// lacks what its kind needs.
func clockKey(k domain.ClockKey) (string, error) {
	repeat := func(s string) string {
		if k.N >= 2 {
			s += ":" + strconv.Itoa(k.N)
		}
		return s
	}
	var missing string
	switch k.Kind {
	case domain.ClockConcern, domain.ClockNoPlan:
		if k.Concern == 0 {
			missing = "a concern"
		}
	case domain.ClockHighRisk, domain.ClockOverride:
		if k.Team == "" || k.Ref == "" {
			missing = "a team and a case"
		}
	case domain.ClockTeamOver:
		if k.Team == "" {
			missing = "a team"
		}
	case domain.ClockLongOver:
		if k.Team == "" || k.Person == "" || k.Week == "" {
			missing = "a team, a person and a week"
		}
	case domain.ClockNoSM:
		if k.About == "" || k.Subject == "" {
			missing = "what it is about and a subject"
		}
	default:
		return "", fmt.Errorf("no clock of kind %q", k.Kind)
	}
	if missing != "" {
		return "", fmt.Errorf("a %s clock needs %s", k.Kind, missing)
	}
	switch k.Kind {
	case domain.ClockConcern:
		if k.N < 1 {
			return "", errors.New("a concern's escalation clock needs its number, from 1")
		}
		return fmt.Sprintf("esc:concern:%d:%d", k.Concern, k.N), nil
	case domain.ClockHighRisk:
		return repeat(fmt.Sprintf("esc:highrisk:%s:%s:%d", k.Team, k.Ref, k.Since.UnixNano())), nil
	case domain.ClockOverride:
		s := fmt.Sprintf("esc:override:%s:%s:%d", k.Team, k.Ref, k.Since.UnixNano())
		if k.Review != "" {
			s += ":r" + string(k.Review)
		}
		return repeat(s), nil
	case domain.ClockNoPlan:
		return repeat("esc:noplan:" + strconv.FormatUint(k.Concern, 10)), nil
	case domain.ClockTeamOver:
		return "esc:teamover:" + k.Team, nil
	case domain.ClockLongOver:
		return fmt.Sprintf("esc:longover:%s:%s:%s", k.Team, k.Person, k.Week), nil
	default: // domain.ClockNoSM
		return "esc:nosm:" + string(k.About) + ":" + k.Subject, nil
	}
}

// digestSlotKey is where a scheduled digest's posting is kept.
func digestSlotKey(s domain.DigestSlot) (string, error) {
	if s.Slot.IsZero() || (s.Team == "") == (s.Manager == "") {
		return "", errors.New("a digest slot needs a time and either a team or a service manager")
	}
	slot := s.Slot.UTC().Format(time.RFC3339)
	if s.Team != "" {
		return "digest:" + s.Team + ":" + slot, nil
	}
	return "digest-sm:" + string(s.Manager) + ":" + slot, nil
}
