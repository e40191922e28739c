package schedule

import (
	"github.com/safeload/safeload/internal/domain"
)

// pol is the policy the team works under.
func (t *teamRun) pol() *domain.Policy { return t.s.Policy.ForTeam(t.team) }

// asyeClocks makes each ASYE whose assessed year has ended a practitioner,
// on its anniversary, and tells the team's managers. The change of role is
// itself the record that it happened: it fires once.
func (t *teamRun) asyeClocks() ([]firing, error) {
	if err := t.load(); err != nil {
		return nil, err
	}
	day := t.day()
	var out []firing
	for _, m := range t.members {
		if m.Role != domain.RoleASYE || m.ASYEStarted == "" {
			continue
		}
		anniversary := t.pol().ASYEAnniversary(m.ASYEStarted)
		if anniversary == "" || anniversary > day {
			continue
		}
		m := m
		out = append(out, firing{what: "asye", subject: string(m.Person), apply: func() (int, error) {
			return 1, t.asyeDone(m)
		}})
	}
	return out, nil
}

func (t *teamRun) asyeDone(m *domain.Member) error {
	started := m.ASYEStarted
	m.Role = domain.RolePractitioner
	t.changed()
	if err := t.tx.PutMember(m); err != nil {
		return err
	}
	if err := t.tx.Audit(&domain.AuditEntry{Actor: Actor, Team: t.team.ID, Action: "member.asye_done", Subject: string(m.Person),
		Before: "asye started=" + string(started), After: "practitioner", Detail: m.Name}); err != nil {
		return err
	}
	w := t.pol().Workload(m, t.cases, t.day())
	d := map[string]any{"Name": m.Name, "Person": m.Person, "Started": started, "Day": t.day(), "Team": t.team.Name, "W": w}
	note := domain.Message{Title: t.say("teamlife.asye_done_title", d), Text: t.say("teamlife.asye_done", d), RAG: w.RAG}
	var to []domain.PersonID
	for _, mm := range t.members {
		if mm.Role == domain.RoleManager {
			to = append(to, mm.Person)
		}
	}
	if len(to) == 0 && t.team.ServiceManager != "" {
		to = append(to, t.team.ServiceManager)
	}
	to = append(to, m.Person)
	for _, p := range to {
		if err := t.tell(p, KindReminder, note); err != nil {
			return err
		}
	}
	return nil
}
