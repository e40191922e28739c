package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The key layout. Every top-level bucket is created by Open.
//
//	meta        "schema" → uint64 big-endian
//	people      person ID → Person
//	teams       team ID → Team
//	channels    channel ID → team ID
//	t/<team>/   per team: members (person → Member), cases (ref → Case),
//	            audit (seq → AuditEntry), hours (seq → HoursEntry)
//	caserefs    ref → team ID (references are unique across the store)
//	memberships person ID 0x00 team ID → nothing (who is in which team)
//	proposals   seq → Proposal
//	pending     seq → nothing (proposals awaiting an answer)
//	concerns    seq → Concern
//	outbox      seq → OutboxItem (oldest first)
//	state       name → JSON (scheduler clocks, digests, snapshots)
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
	bucketState       = []byte("state")

	subMembers = []byte("members")
	subCases   = []byte("cases")
	subAudit   = []byte("audit")
	subHours   = []byte("hours")

	keySchema = []byte("schema")

	// auditGlobal holds entries that belong to no team (e.g. admin grants).
	auditGlobal = "_"
)

var topBuckets = [][]byte{
	bucketMeta, bucketPeople, bucketTeams, bucketChannels, bucketTeamData, bucketCaseRefs,
	bucketMemberships, bucketProposals, bucketPending, bucketConcerns, bucketOutbox, bucketState,
}

var teamSubBuckets = [][]byte{subMembers, subCases, subAudit, subHours}

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

func encode(v any) ([]byte, error) { return json.Marshal(v) }

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

// checkRecords decodes every record so that a store that bbolt finds sound
// but that this program cannot read is reported too.
func checkRecords(tx *bolt.Tx) []error {
	var errs []error
	each := func(where string, b *bolt.Bucket) {
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
	for _, name := range [][]byte{bucketPeople, bucketTeams, bucketProposals, bucketConcerns, bucketOutbox, bucketState} {
		each(string(name), tx.Bucket(name))
	}
	if td := tx.Bucket(bucketTeamData); td != nil {
		_ = td.ForEachBucket(func(team []byte) error {
			tb := td.Bucket(team)
			for _, sub := range teamSubBuckets {
				each(fmt.Sprintf("team %s %s", team, sub), tb.Bucket(sub))
			}
			return nil
		})
	}
	return errs
}
