package digest

import (
	"sort"
	"time"

	"github.com/safeload/safeload/internal/domain"
)

// Snapshot is a team's figures as they stood in one week: what the next
// week's digest compares with, and the record the long over-capacity clock
// counts weeks on. It is kept in the store's state under SnapshotKey.
type Snapshot struct {
	Team string      `json:"team"`
	Week domain.Date `json:"week"` // the Monday of the week, local time
	At   time.Time   `json:"at"`   // when the figures were taken

	Load          float64 `json:"load"`
	Capacity      float64 `json:"capacity"`
	Percent       float64 `json:"percent"`
	Green         int     `json:"green"`
	Amber         int     `json:"amber"`
	Red           int     `json:"red"`
	Practitioners int     `json:"practitioners"`
	AverageCases  float64 `json:"average_cases"`
	AveragePoints float64 `json:"average_points"`
	Queued        int     `json:"queued"`
	OpenConcerns  int     `json:"open_concerns"`

	Members []MemberSnapshot `json:"members"`
}

// MemberSnapshot is one case-carrying member's figures in a snapshot.
type MemberSnapshot struct {
	Person   domain.PersonID `json:"person"`
	Name     string          `json:"name,omitempty"`
	Load     float64         `json:"load"`
	Capacity float64         `json:"capacity"`
	Percent  float64         `json:"percent"`
	Cases    int             `json:"cases"`
	RAG      domain.RAG      `json:"rag"`
	// Role and FTE are kept from this change on (older snapshots lack
	// them): the quarterly report tells ASYEs' protected caseloads apart.
	Role domain.Role `json:"role,omitempty"`
	FTE  float64     `json:"fte,omitempty"`
}

// Over reports whether the member was at or over percent: any load with no
// capacity counts as over, as it is red.
func (m MemberSnapshot) Over(percent float64) bool {
	if m.Capacity <= 0 {
		return m.Load > 0
	}
	return m.Percent >= percent
}

// Member finds a person in the snapshot.
func (s *Snapshot) Member(p domain.PersonID) (MemberSnapshot, bool) {
	for _, m := range s.Members {
		if m.Person == p {
			return m, true
		}
	}
	return MemberSnapshot{}, false
}

// snapshotPrefix starts every snapshot key of a team. Team IDs are slugs
// (no colon), so one team's prefix never matches another's keys.
// WeekOf is the Monday of t's week in loc, as a date.
func WeekOf(t time.Time, loc *time.Location) domain.Date {
	return domain.DateOf(domain.WeekStart(t, loc))
}

// TakeSnapshot computes a team's figures at now (without storing them).
func TakeSnapshot(tx domain.Tx, pol *domain.Policy, loc *time.Location, team *domain.Team, now time.Time) (*Snapshot, error) {
	r, err := (&Builder{Policy: pol, Loc: loc}).Team(tx, team, now)
	if err != nil {
		return nil, err
	}
	snap := snapshotOf(team.ID, WeekOf(now, loc), now, r.S)
	snap.OpenConcerns = len(r.Concerns)
	return snap, nil
}

func snapshotOf(team string, week domain.Date, now time.Time, s domain.TeamSummary) *Snapshot {
	snap := &Snapshot{Team: team, Week: week, At: now.UTC(),
		Load: s.Load, Capacity: s.Capacity, Percent: s.Percent,
		Green: s.Green, Amber: s.Amber, Red: s.Red, Practitioners: s.Practitioners,
		AverageCases: s.AverageCases, AveragePoints: s.AveragePoints, Queued: s.Queued}
	for _, w := range s.Workloads {
		snap.Members = append(snap.Members, MemberSnapshot{Person: w.Person, Name: w.Name, Load: w.Load,
			Capacity: w.Capacity, Percent: w.Percent, Cases: w.Cases, RAG: w.RAG, Role: w.Role, FTE: w.FTE})
	}
	return snap
}

// EnsureSnapshot stores the team's snapshot for now's week unless one is
// there already; created says whether it wrote one. The first figures of a
// week stand for it, so the snapshot is not rewritten as the week goes on.
func EnsureSnapshot(tx domain.Tx, pol *domain.Policy, loc *time.Location, team *domain.Team, now time.Time) (snap *Snapshot, created bool, err error) {
	week := WeekOf(now, loc)
	var have Snapshot
	if ok, err := tx.WeekSnapshot(team.ID, week, &have); err != nil {
		return nil, false, err
	} else if ok {
		return &have, false, nil
	}
	snap, err = TakeSnapshot(tx, pol, loc, team, now)
	if err != nil {
		return nil, false, err
	}
	return snap, true, tx.PutWeekSnapshot(team.ID, week, snap)
}

// EnsureSnapshotOf is EnsureSnapshot with the figures of r, a report on
// the team at now worked out in tx.
func EnsureSnapshotOf(tx domain.Tx, loc *time.Location, r *Report) (snap *Snapshot, created bool, err error) {
	week := WeekOf(r.Now, loc)
	var have Snapshot
	if ok, err := tx.WeekSnapshot(r.Team.ID, week, &have); err != nil {
		return nil, false, err
	} else if ok {
		return &have, false, nil
	}
	snap = snapshotOf(r.Team.ID, week, r.Now, r.S)
	snap.OpenConcerns = len(r.Concerns)
	return snap, true, tx.PutWeekSnapshot(r.Team.ID, week, snap)
}

// HasSnapshot reports whether the team's snapshot for now's week is stored.
func HasSnapshot(tx domain.Tx, loc *time.Location, team string, now time.Time) (bool, error) {
	return tx.WeekSnapshot(team, WeekOf(now, loc), nil)
}

// Snapshots lists a team's stored snapshots, oldest week first.
func Snapshots(tx domain.Tx, team string) ([]*Snapshot, error) {
	weeks, err := tx.SnapshotWeeks(team)
	if err != nil {
		return nil, err
	}
	out := make([]*Snapshot, 0, len(weeks))
	for _, w := range weeks {
		var s Snapshot
		if ok, err := tx.WeekSnapshot(team, w, &s); err != nil {
			return nil, err
		} else if ok {
			out = append(out, &s)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Week < out[j].Week })
	return out, nil
}
