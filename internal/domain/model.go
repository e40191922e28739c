package domain

import (
	"strings"
	"time"
)

// PersonID names a person on one platform: "slack:U024BE7LH",
// "discord:80351110224678912", or "console:meg" in the terminal.
type PersonID string

// Platform is the part before the colon.
func (p PersonID) Platform() string { return platformOf(string(p)) }

// ChannelID names a chat channel the same way: "slack:C0123ABCD".
type ChannelID string

// Platform is the part before the colon.
func (c ChannelID) Platform() string { return platformOf(string(c)) }

func platformOf(s string) string {
	if i := strings.IndexByte(s, ':'); i > 0 {
		return s[:i]
	}
	return ""
}

// Team is one social-work team and its channel.
type Team struct {
	ID             string    `json:"id"`
	Name           string    `json:"name"`
	Channel        ChannelID `json:"channel,omitempty"`
	ServiceManager PersonID  `json:"service_manager,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	// MeetingStart is when the current allocation meeting began (the first
	// /allocate after the last /allocate done); zero when none is running.
	MeetingStart time.Time `json:"meeting_start,omitzero"`
	// Policy names the team's policy among the policy file's; "" is the
	// file's default. PolicySince is when it was last chosen.
	Policy      string    `json:"policy,omitempty"`
	PolicySince time.Time `json:"policy_since,omitzero"`
	// Posts is the funded establishment in FTE; 0 when not known.
	Posts float64 `json:"posts,omitempty"`
	// Incoming are held cases another team is sending here: they wait at
	// the top of the queue and arrive when proposed to someone here.
	Incoming []string `json:"incoming,omitempty"`
	// LastMinutes is when the minutes were last posted: the next minutes
	// start there when no meeting is running.
	LastMinutes time.Time `json:"last_minutes,omitzero"`
}

// Member is a person's place in one team.
type Member struct {
	Team       string      `json:"team"`
	Person     PersonID    `json:"person"`
	Name       string      `json:"name"`
	Role       Role        `json:"role"`
	FTE        float64     `json:"fte"`
	Reductions []Reduction `json:"reductions,omitempty"`
	JoinedAt   time.Time   `json:"joined_at"`
	// ASYEStarted is the first day of an ASYE's assessed year: capacity
	// rises by its months and the member becomes a practitioner on its
	// anniversary. Empty when not known (the policy's ASYE share applies).
	ASYEStarted Date `json:"asye_started,omitempty"`
}

// Reduction takes a share of a member's capacity away for a reason, up to and
// including Until when it is set.
type Reduction struct {
	Reason  string  `json:"reason"`
	Percent float64 `json:"percent"`
	Until   Date    `json:"until,omitempty"`
	// Leave marks a 100 % reduction for leave; Note is the manager's
	// private note about it, shown only to managers.
	Leave bool   `json:"leave,omitempty"`
	Note  string `json:"note,omitempty"`
	// From, when set, is the first day it counts (a phased return starts
	// the day leave ends).
	From Date `json:"from,omitempty"`
}

// ActiveOn reports whether the reduction counts on day.
func (r Reduction) ActiveOn(day Date) bool {
	return (r.Until == "" || day <= r.Until) && (r.From == "" || day >= r.From)
}

// CaseStatus is where a case is in its life.
type CaseStatus string

const (
	CaseQueued    CaseStatus = "queued"
	CaseProposed  CaseStatus = "proposed"
	CaseAllocated CaseStatus = "allocated"
	CaseClosed    CaseStatus = "closed"
)

// Case is one piece of work, known only by an opaque reference: the store
// never holds the names or details of the people who use services.
type Case struct {
	Ref      string     `json:"ref"`
	Team     string     `json:"team"`
	Type     string     `json:"type"`
	Factors  []string   `json:"factors,omitempty"`
	Children int        `json:"children,omitempty"`
	Status   CaseStatus `json:"status"`
	Holder   PersonID   `json:"holder,omitempty"`
	// Involved are students working alongside the holder; they carry no points.
	Involved []PersonID `json:"involved,omitempty"`
	// Previous holders, oldest first, for continuity.
	PrevHolders []PersonID `json:"prev_holders,omitempty"`
	Proposal    uint64     `json:"proposal,omitempty"` // the pending proposal, if any
	Override    *Override  `json:"override,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	QueuedSince time.Time  `json:"queued_since,omitzero"`
	AllocatedAt time.Time  `json:"allocated_at,omitzero"`
	ClosedAt    time.Time  `json:"closed_at,omitzero"`
	// MoveTo is the team a held case is on its way to: it stays in its
	// holder's caseload until that team allocates it. MovedFrom is the team
	// it came from, with why and when; a case moved in waits at the top of
	// its new team's queue.
	MoveTo     string    `json:"move_to,omitempty"`
	MovedFrom  string    `json:"moved_from,omitempty"`
	MoveReason string    `json:"move_reason,omitempty"`
	MovedAt    time.Time `json:"moved_at,omitzero"`
}

// Open reports whether the case still counts: not closed.
func (c *Case) Open() bool { return c.Status != CaseClosed }

// HasFactor reports whether the case carries factor f.
func (c *Case) HasFactor(f string) bool { return contains(c.Factors, f) }

// HeldBefore reports whether p held this case at some earlier time.
func (c *Case) HeldBefore(p PersonID) bool {
	for _, h := range c.PrevHolders {
		if h == p {
			return true
		}
	}
	return false
}

// Override records a manager's decision to allocate above the safe level.
type Override struct {
	Reason   string    `json:"reason"`
	ReviewOn Date      `json:"review_on"`
	By       PersonID  `json:"by"`
	At       time.Time `json:"at"`
	Percent  float64   `json:"percent"` // the load % it took the holder to
	Reviewed bool      `json:"reviewed,omitempty"`
	// ReviewedBy and ReviewedAt record the last review: it continued to a
	// new ReviewOn with a new Reason, or it ended (Reviewed).
	ReviewedBy PersonID  `json:"reviewed_by,omitempty"`
	ReviewedAt time.Time `json:"reviewed_at,omitzero"`
}

// ProposalKind tells a new allocation from a transfer.
type ProposalKind string

const (
	ProposeAllocate ProposalKind = "allocate"
	ProposeTransfer ProposalKind = "transfer"
)

// ProposalStatus is the answer to a proposal.
type ProposalStatus string

const (
	ProposalPending   ProposalStatus = "pending"
	ProposalAccepted  ProposalStatus = "accepted"
	ProposalDeclined  ProposalStatus = "declined"
	ProposalWithdrawn ProposalStatus = "withdrawn"
)

// Proposal offers a case to a practitioner, who alone may answer it.
type Proposal struct {
	ID         uint64         `json:"id"`
	Team       string         `json:"team"`
	Ref        string         `json:"ref"`
	Kind       ProposalKind   `json:"kind"`
	To         PersonID       `json:"to"`
	From       PersonID       `json:"from,omitempty"` // current holder, for a transfer
	By         PersonID       `json:"by"`
	At         time.Time      `json:"at"`
	Reason     string         `json:"reason,omitempty"` // why, for a transfer
	Override   *Override      `json:"override,omitempty"`
	Before     float64        `json:"before"` // load % of To when proposed
	After      float64        `json:"after"`
	Status     ProposalStatus `json:"status"`
	AnsweredAt time.Time      `json:"answered_at,omitzero"`
	AnsweredBy PersonID       `json:"answered_by,omitempty"`
	Answer     string         `json:"answer,omitempty"` // decline reason
	Reminded   bool           `json:"reminded,omitempty"`
}

// Concern is a practitioner's word that their workload is not safe. It stays
// open until a manager resolves it, and escalates until acknowledged.
type Concern struct {
	ID         uint64    `json:"id"`
	Team       string    `json:"team"`
	By         PersonID  `json:"by"`
	Text       string    `json:"text"`
	RaisedAt   time.Time `json:"raised_at"`
	Snapshot   Workload  `json:"snapshot"`
	AckBy      PersonID  `json:"ack_by,omitempty"`
	AckAt      time.Time `json:"ack_at,omitzero"`
	Plan       string    `json:"plan,omitempty"`
	PlanBy     PersonID  `json:"plan_by,omitempty"`
	PlanAt     time.Time `json:"plan_at,omitzero"`
	ResolvedBy PersonID  `json:"resolved_by,omitempty"`
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
	// Escalations counts the pings sent to the service manager so far.
	Escalations int `json:"escalations,omitempty"`
	// TeamLevel is a manager's concern about the whole team; its snapshot
	// is the team's figures and it goes to the service manager.
	TeamLevel bool `json:"team_level,omitempty"`
	// The raiser's word on the plan: it is enough (RaiserAgrees), or not,
	// and why; RaiserAt is zero until they say.
	RaiserAgrees bool      `json:"raiser_agrees,omitempty"`
	RaiserWhy    string    `json:"raiser_why,omitempty"`
	RaiserAt     time.Time `json:"raiser_at,omitzero"`
}

// Acknowledged reports whether a manager has acknowledged the concern.
func (c *Concern) Acknowledged() bool { return !c.AckAt.IsZero() }

// Resolved reports whether the concern is closed.
func (c *Concern) Resolved() bool { return !c.ResolvedAt.IsZero() }

// HoursEntry is additional time worked beyond contract.
type HoursEntry struct {
	ID    uint64    `json:"id"`
	Team  string    `json:"team"`
	By    PersonID  `json:"by"`
	Hours float64   `json:"hours"`
	Note  string    `json:"note,omitempty"`
	At    time.Time `json:"at"`
}

// AuditEntry is one line of the append-only audit log, written in the same
// transaction as the change it records.
type AuditEntry struct {
	Seq     uint64    `json:"seq"`
	At      time.Time `json:"at"`
	Actor   PersonID  `json:"actor"`
	Team    string    `json:"team,omitempty"`
	Action  string    `json:"action"`
	Subject string    `json:"subject,omitempty"` // a case ref, person or concern id
	Before  string    `json:"before,omitempty"`
	After   string    `json:"after,omitempty"`
	Detail  string    `json:"detail,omitempty"`
}

// Person is what the store knows of a person across teams.
type Person struct {
	ID    PersonID `json:"id"`
	Name  string   `json:"name,omitempty"`
	Admin bool     `json:"admin,omitempty"`
}
