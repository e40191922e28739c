package schedule

import (
	"time"

	"github.com/safeload/safeload/internal/domain"
)

// The scheduler's clocks, by what they are about. The store keeps each
// firing (Fired, MarkFired) in the transaction that enqueued its message,
// and decides where.

func concernKey(id uint64, n int) domain.ClockKey {
	return domain.ClockKey{Kind: domain.ClockConcern, Concern: id, N: n}
}

func highRiskKey(team, ref string, queued time.Time) domain.ClockKey {
	return domain.ClockKey{Kind: domain.ClockHighRisk, Team: team, Ref: ref, Since: queued}
}

// overrideReviewKey names an override's review reminders: a review that
// continues the override starts them again for its new date.
func overrideReviewKey(team, ref string, o *domain.Override) domain.ClockKey {
	k := domain.ClockKey{Kind: domain.ClockOverride, Team: team, Ref: ref, Since: o.At}
	if !o.ReviewedAt.IsZero() {
		k.Review = o.ReviewOn
	}
	return k
}

func noPlanKey(id uint64) domain.ClockKey {
	return domain.ClockKey{Kind: domain.ClockNoPlan, Concern: id}
}

func teamOverKey(team string) domain.ClockKey {
	return domain.ClockKey{Kind: domain.ClockTeamOver, Team: team}
}

func longOverKey(team string, p domain.PersonID, since domain.Date) domain.ClockKey {
	return domain.ClockKey{Kind: domain.ClockLongOver, Team: team, Person: p, Week: since}
}

func noSMKey(kind, subject string) domain.ClockKey {
	return domain.ClockKey{Kind: domain.ClockNoSM, About: domain.ClockKind(kind), Subject: subject}
}

func slotString(slot time.Time) string { return slot.UTC().Format(time.RFC3339) }

func teamSlot(team string, slot time.Time) domain.DigestSlot {
	return domain.DigestSlot{Team: team, Slot: slot}
}

func smSlot(p domain.PersonID, slot time.Time) domain.DigestSlot {
	return domain.DigestSlot{Manager: p, Slot: slot}
}

func has(tx domain.Tx, k domain.ClockKey) (bool, error) {
	_, ok, err := tx.Fired(k)
	return ok, err
}
