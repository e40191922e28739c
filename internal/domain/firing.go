package domain

import "time"

// ClockKind names what a scheduler clock is about.
type ClockKind string

// The scheduler's clocks. Each firing is recorded in the transaction that
// enqueued its messages, so a clock fires once; the fields of ClockKey that
// each kind uses are listed with it.
const (
	// ClockConcern: the N-th escalation (1, 2 …) of an unacknowledged
	// concern. Concern, N.
	ClockConcern ClockKind = "concern"
	// ClockHighRisk: a high-risk case waiting too long, then again each
	// working day. Team, Ref, Since (when it was queued), N.
	ClockHighRisk ClockKind = "highrisk"
	// ClockOverride: an override due for review, then again each working
	// day. Team, Ref, Since (when it was made), Review (the date a review
	// that continued it set; empty before one), N.
	ClockOverride ClockKind = "override"
	// ClockNoPlan: a concern acknowledged with no plan in time, then
	// again each working day. Concern, N.
	ClockNoPlan ClockKind = "noplan"
	// ClockTeamOver: the team over capacity; its firing records the last
	// alert and, as Due, when the team crossed. Team.
	ClockTeamOver ClockKind = "teamover"
	// ClockLongOver: a person over capacity for weeks, once per run of
	// weeks. Team, Person, Week (the run's first week).
	ClockLongOver ClockKind = "longover"
	// ClockNoSM: a team channel told it has no service manager, once per
	// subject. About (the kind of clock that found it), Subject.
	ClockNoSM ClockKind = "nosm"
)

// ClockKey names one firing of a clock. The fields a kind does not use are
// left zero. For the clocks that repeat (high risk, override, no plan) N is
// the repeat: 0 or 1 is the first firing, 2 the second, and so on.
type ClockKey struct {
	Kind    ClockKind
	Team    string
	Concern uint64
	Ref     string
	Person  PersonID
	Since   time.Time
	Week    Date
	Review  Date
	About   ClockKind
	Subject string
	N       int
}

// Repeat is the key of the n-th firing of the same clock.
func (k ClockKey) Repeat(n int) ClockKey {
	k.N = n
	return k
}

// ClockFiring is what the store keeps of a firing.
type ClockFiring struct {
	At   time.Time  // when it fired
	Due  time.Time  // when it was due (zero when not kept)
	To   []PersonID // who was told
	Msgs int        // messages enqueued
}

// DigestSlot names one scheduled digest: a team's (Team set) or a service
// manager's over all their teams (Manager set), for the schedule's slot.
type DigestSlot struct {
	Team    string
	Manager PersonID
	Slot    time.Time
}
