// Package benchdata builds the large stores the benchmarks run on: many
// teams, each with a manager, practitioners (some ASYEs, some part-time
// with a reduction) and cases, most of them held and the rest queued.
//
// It is for benchmarks only: nothing in the product imports it, and tests
// run without -bench never build a store with it.
package benchdata

import (
	"fmt"
	"time"

	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/store"
)

// The standard benchmark store: 1,000 teams of 20 practitioners and 300
// cases each, that is 20,000 practitioners and 300,000 cases.
const (
	Teams         = 1000
	Practitioners = 20
	Cases         = 300
	// Queued is how many of each team's cases wait in the queue; the rest
	// are held.
	Queued = 20
	// TeamsPerServiceManager is how many teams each service manager oversees.
	TeamsPerServiceManager = 10
)

// Epoch is the moment every record of a built store is stamped with (a
// Friday morning), so that benchmarks can set their clocks after it.
var Epoch = time.Date(2026, time.May, 8, 9, 0, 0, 0, time.UTC)

// TeamID is the ID of the t-th team.
func TeamID(t int) string { return fmt.Sprintf("team-%04d", t) }

// Channel is the Slack channel of the t-th team.
func Channel(t int) domain.ChannelID { return domain.ChannelID(fmt.Sprintf("slack:C%04d", t)) }

// Manager is the team manager of the t-th team.
func Manager(t int) domain.PersonID { return domain.PersonID(fmt.Sprintf("slack:M%04d", t)) }

// Practitioner is the p-th practitioner of the t-th team.
func Practitioner(t, p int) domain.PersonID {
	return domain.PersonID(fmt.Sprintf("slack:U%04d%02d", t, p))
}

// ServiceManager oversees the t-th team (and its neighbours).
func ServiceManager(t int) domain.PersonID {
	return domain.PersonID(fmt.Sprintf("slack:S%03d", t/TeamsPerServiceManager))
}

// Build creates a store at path with the given number of teams,
// practitioners per team and cases per team, stamped at Epoch. It skips
// fsync and writes one transaction per team, so the standard store takes
// seconds, not minutes.
func Build(path string, teams, practitioners, cases int) error {
	st, err := store.Open(path, store.Options{NoSync: true, Clock: clock.NewFake(Epoch)})
	if err != nil {
		return err
	}
	types := []string{"cp", "cin", "lac", "assessment", "proceedings", "care_leaver"}
	factors := [][]string{nil, {"court"}, nil, {"rural"}, {"court", "high_risk"}, nil, {"noncooperation"}}
	for t := range teams {
		err := st.Update(func(tx domain.Tx) error {
			id := TeamID(t)
			if err := tx.PutTeam(&domain.Team{ID: id, Name: fmt.Sprintf("Team %d", t), Channel: Channel(t),
				ServiceManager: ServiceManager(t), CreatedAt: tx.Now()}); err != nil {
				return err
			}
			if err := tx.PutMember(&domain.Member{Team: id, Person: Manager(t), Name: "Manager", Role: domain.RoleManager, FTE: 1}); err != nil {
				return err
			}
			people := make([]domain.PersonID, practitioners)
			for p := range practitioners {
				m := &domain.Member{Team: id, Person: Practitioner(t, p),
					Name: fmt.Sprintf("Worker %d %d", t, p), Role: domain.RolePractitioner, FTE: 1, JoinedAt: tx.Now()}
				if p < 2 {
					m.Role = domain.RoleASYE
				}
				if p%5 == 0 {
					m.FTE = 0.6
					m.Reductions = []domain.Reduction{{Reason: "practice educator", Percent: 10, Until: "2030-01-01"}}
				}
				people[p] = m.Person
				if err := tx.PutMember(m); err != nil {
					return err
				}
			}
			for c := range cases {
				k := &domain.Case{Ref: fmt.Sprintf("C-%04d-%03d", t, c), Team: id, Type: types[c%len(types)],
					Factors: factors[c%len(factors)], Children: c % 4, CreatedAt: tx.Now()}
				if c < cases-Queued && practitioners > 0 {
					k.Status, k.Holder, k.AllocatedAt = domain.CaseAllocated, people[c%practitioners], tx.Now()
				} else {
					k.Status, k.QueuedSince = domain.CaseQueued, tx.Now()
				}
				if err := tx.PutCase(k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			_ = st.Close()
			return err
		}
	}
	return st.Close()
}
