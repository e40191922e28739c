package importer

import (
	"fmt"
	"strings"
	"time"

	"github.com/safeload/safeload/internal/domain"
)

// teamPolicy reads a team's policy: and posts: fields. The team's cases are
// then read against the policy it names; the returned function restores the
// file's default for the next team.
func (p *parser) teamPolicy(t *teamIn, f *fields) func() {
	file := p.pol
	if name, ok := f.text("policy", ""); ok {
		if pol, known := file.Lookup(name); known {
			t.policy = pol.Name
			p.pol = pol
		} else {
			p.bad(f.get("policy"), f.field("policy"), "%q is not a policy of the policy file (%s)", clip(name), strings.Join(file.Names(), ", "))
		}
	}
	if x, _, ok := f.number("posts", "posts is the team's funded establishment in FTE, like 5 or 6.5"); ok {
		if x < 0 || x > 1000 {
			p.bad(f.get("posts"), f.field("posts"), "%s is not an establishment: give the funded posts in FTE, from 0 to 1000", fmtNum(x))
		} else {
			t.posts, t.postsSet = x, true
		}
	}
	return func() { p.pol = file }
}

// asyeStarted reads a member's asye_started: the first day of an ASYE's
// assessed year.
func (p *parser) asyeStarted(f *fields, m *memberIn) {
	s, ok := f.text("asye_started", "")
	if !ok {
		return
	}
	d, err := domain.ParseDate(s)
	switch {
	case err != nil:
		p.bad(f.get("asye_started"), f.field("asye_started"), "%q is not a date; write it as YYYY-MM-DD", clip(s))
	case m.role != "" && m.role != domain.RoleASYE:
		p.bad(f.get("asye_started"), f.field("asye_started"), "is for an ASYE only (this member is a %s)", m.role.Label())
	default:
		m.started = d
	}
}

// teamLife sets what the file says of the team's policy and posts on tm and
// reports whether that changed anything.
func teamLife(t *teamIn, tm *domain.Team, now time.Time) bool {
	changed := false
	if t.policy != "" && t.policy != tm.Policy {
		tm.Policy, tm.PolicySince = t.policy, now
		changed = true
	}
	if t.postsSet && t.posts != tm.Posts {
		tm.Posts = t.posts
		changed = true
	}
	return changed
}

func describeTeamLife(t *domain.Team) string {
	s := ""
	if t.Policy != "" {
		s += ", policy " + t.Policy
	}
	if t.Posts > 0 {
		s += fmt.Sprintf(", posts %s", fmtNum(t.Posts))
	}
	return s
}
