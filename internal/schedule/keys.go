package schedule

import (
	"fmt"
	"time"

	"github.com/safeload/safeload/internal/domain"
)

// The scheduler's state keys. Each records one firing, written in the
// transaction that enqueued its message; team IDs are slugs and case
// references have no colon, so the keys cannot run into each other.
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
//	digest-since                         the scheduler's first pass ever
//
// Times are UTC (RFC 3339, or Unix nanoseconds for exact instants); weeks
// are the Monday's date. Weekly snapshots are kept by the store (WeekSnapshot).

func concernKey(id uint64, n int) string { return fmt.Sprintf("esc:concern:%d:%d", id, n) }

func highRiskKey(team, ref string, queued time.Time) string {
	return fmt.Sprintf("esc:highrisk:%s:%s:%d", team, ref, queued.UnixNano())
}

func overrideKey(team, ref string, at time.Time) string {
	return fmt.Sprintf("esc:override:%s:%s:%d", team, ref, at.UnixNano())
}

func longOverKey(team string, p domain.PersonID, since domain.Date) string {
	return fmt.Sprintf("esc:longover:%s:%s:%s", team, p, since)
}

// keyFirstRun marks when the digest schedule first ran in this store.
const keyFirstRun = "digest-since"

func noSMKey(kind, subject string) string { return "esc:nosm:" + kind + ":" + subject }

func slotString(slot time.Time) string { return slot.UTC().Format(time.RFC3339) }

func digestKey(team string, slot time.Time) string {
	return "digest:" + team + ":" + slotString(slot)
}

func smDigestKey(p domain.PersonID, slot time.Time) string {
	return "digest-sm:" + string(p) + ":" + slotString(slot)
}

// record is what a firing's key holds.
type record struct {
	At  time.Time         `json:"at"`             // when it fired
	Due time.Time         `json:"due,omitzero"`   // when it was due
	To  []domain.PersonID `json:"to,omitempty"`   // who was told
	Msg int               `json:"msgs,omitempty"` // messages enqueued
}

func has(tx domain.Tx, key string) (bool, error) {
	var r record
	return tx.GetState(key, &r)
}
