package domain

import "time"

// Store is the one source of truth. Every user action runs in one Update so
// that a crash leaves all of it or none of it; chat APIs are never called
// inside a transaction (messages for others go to the outbox instead).
//
// A function given to Update or Group may run more than once (a store over
// several replicas runs it again after a conflict), so it must have no
// effect outside the transaction, or reset what it keeps at its start.
type Store interface {
	// View runs fn on one consistent state, read-only.
	View(fn func(Tx) error) error
	// Update runs fn in one serializable transaction: all of it commits or
	// none of it.
	Update(fn func(Tx) error) error
	// Group is Update for actions that arrive concurrently: they may share
	// one commit, and an error from fn (a refusal) discards fn's writes only.
	Group(fn func(Tx) error) error
	Close() error
}

// Speculator is a Store that can run a write first on a snapshot, outside
// the shared commit: an error there for which refused is true is returned
// at once, having changed nothing; otherwise fn's writes join a shared
// commit as Group's do. fn runs again only when something it read has
// changed in between: on a new snapshot, and if that is overtaken too, in
// the commit. A run the snapshot cannot answer, or that fails otherwise,
// runs as Group's. fn must have no effect outside the transaction.
type Speculator interface {
	Speculate(fn func(Tx) error, refused func(error) bool) error
}

// Tx is a transaction. Getters return ENOTFOUND errors for missing records;
// lists return records in a stable order. Returned values are copies the
// caller may keep after the transaction ends.
type Tx interface {
	// Now is the one timestamp of this transaction.
	Now() time.Time

	Person(id PersonID) (*Person, error)
	PutPerson(p *Person) error

	Team(id string) (*Team, error)
	TeamByChannel(ch ChannelID) (*Team, error)
	Teams() ([]*Team, error)
	PutTeam(t *Team) error

	Member(team string, p PersonID) (*Member, error)
	Members(team string) ([]*Member, error)
	PutMember(m *Member) error
	// DeleteMember takes a person off a team (a leaver); what they did
	// stays in the audit log, concerns, hours and snapshots.
	DeleteMember(team string, p PersonID) error
	// Memberships lists every team membership a person has.
	Memberships(p PersonID) ([]*Member, error)

	// Case looks a reference up in one team. Case references are unique
	// across the store: CaseTeam says which team holds one.
	Case(team, ref string) (*Case, error)
	CaseTeam(ref string) (string, error)
	Cases(team string) ([]*Case, error)
	PutCase(c *Case) error
	// OpenCases lists a team's cases that are not closed, in the order of
	// Cases, without reading the closed ones.
	OpenCases(team string) ([]*Case, error)
	// MoveCase stores c, whose Team is its new team, and takes it out of
	// team from.
	MoveCase(c *Case, from string) error

	Proposal(id uint64) (*Proposal, error)
	// PutProposal stores p, giving it an ID first when it has none.
	PutProposal(p *Proposal) error
	PendingProposals() ([]*Proposal, error)

	Concern(id uint64) (*Concern, error)
	PutConcern(c *Concern) error
	// Concerns lists a team's concerns; open only when openOnly.
	Concerns(team string, openOnly bool) ([]*Concern, error)

	AddHours(h *HoursEntry) error
	Hours(team string, since time.Time) ([]*HoursEntry, error)
	// HoursBy lists the hours one person logged in a team at or after
	// since, oldest first, without reading anyone else's.
	HoursBy(team string, p PersonID, since time.Time) ([]*HoursEntry, error)

	// AddReview records a caseload review, giving it an ID; Reviews lists
	// a team's, oldest first.
	AddReview(r *Review) error
	Reviews(team string) ([]*Review, error)

	// Audit appends to the log, stamping Seq and At.
	Audit(e *AuditEntry) error
	// AuditLog lists a team's entries at or after since, oldest first.
	AuditLog(team string, since time.Time) ([]*AuditEntry, error)

	// Enqueue adds a message to the durable outbox.
	Enqueue(item *OutboxItem) error
	OutboxItem(id uint64) (*OutboxItem, error)
	// Outbox lists pending (not failed) items, oldest first, at most limit (0: all).
	Outbox(limit int) ([]*OutboxItem, error)
	PutOutboxItem(item *OutboxItem) error
	DeleteOutboxItem(id uint64) error

	// WeekSnapshot reads a team's figures of the week starting on the
	// Monday week into v (false when none is stored; with v nil it only
	// says whether they are, decoding nothing); PutWeekSnapshot
	// stores them; SnapshotWeeks lists the weeks stored, oldest first.
	WeekSnapshot(team string, week Date, v any) (bool, error)
	PutWeekSnapshot(team string, week Date, v any) error
	SnapshotWeeks(team string) ([]Date, error)

	// Fired is the recorded firing of a scheduler clock (false when it has
	// not fired); MarkFired records one; ClearFired forgets it, so that the
	// clock can fire again.
	Fired(k ClockKey) (ClockFiring, bool, error)
	MarkFired(k ClockKey, f ClockFiring) error
	ClearFired(k ClockKey) error
	// DigestPosted is the record of a scheduled digest's posting (false
	// when it was not posted); MarkDigestPosted records one.
	DigestPosted(s DigestSlot) (ClockFiring, bool, error)
	MarkDigestPosted(s DigestSlot, f ClockFiring) error
	// DigestsSince is when the digest schedule first ran on this store
	// (zero before it did); PutDigestsSince records it.
	DigestsSince() (time.Time, error)
	PutDigestsSince(at time.Time) error
	// LastDigest is when a digest last went out (zero before one did);
	// PutLastDigest records it.
	LastDigest() (time.Time, error)
	PutLastDigest(at time.Time) error

	// ConversationRef is where a person or channel can be reached later,
	// for a platform that needs more than the ID (ENOTFOUND before either
	// was first seen); PutConversationRef keeps it.
	ConversationRef(id string) (*ConversationRef, error)
	PutConversationRef(id string, r *ConversationRef) error

	// HeldCases lists the open cases p holds in a team, in the order of
	// Cases, without reading anyone else's: what p's workload is made of.
	HeldCases(team string, p PersonID) ([]*Case, error)
	// HoursTotal is the sum of the hours p logged in a team at or after
	// since, without reading anyone else's.
	HoursTotal(team string, p PersonID, since time.Time) (float64, error)
	// TeamRev is the team's revision: it changes with every commit that
	// changes the team's record, its members or its cases, and never
	// comes back to an earlier value while the store is in use.
	TeamRev(team string) (uint64, error)
	// OpenConcernsBy lists the concerns p raised in a team that are not
	// resolved, oldest first, without reading anyone else's.
	OpenConcernsBy(team string, p PersonID) ([]*Concern, error)
	// PendingTo lists the proposals waiting for p's answer in a team,
	// oldest first, without reading any other proposal.
	PendingTo(team string, p PersonID) ([]*Proposal, error)
}
