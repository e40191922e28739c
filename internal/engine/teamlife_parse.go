package engine

import (
	"strconv"
	"strings"

	"github.com/safeload/safeload/internal/domain"
)

// teamArgs are what the team-life commands carry beyond the common fields.
type teamArgs struct {
	percent float64
	until   domain.Date
	date    domain.Date
	word    string // a policy name, a review outcome or a team ID
	end     bool   // "reduction @user end N"
}

// parseTeamlife reads the team-life forms of /caseload: reduction, leave,
// back, remove, posts, policy, review.
func parseTeamlife(platform, kw string, args []string) (*cmd, error) {
	u := "usage.caseload." + kw
	c := &cmd{name: "caseload." + kw, usage: u}
	if kw == "posts" {
		if len(args) != 1 {
			return nil, bad(u, "")
		}
		f, err := strconv.ParseFloat(strings.TrimPrefix(strings.ToLower(args[0]), "fte="), 64)
		if err != nil || f != f || f < 0 || f > 1000 {
			return nil, bad(u, "parse.posts")
		}
		c.fte, c.fteSet = f, true
		return c, nil
	}
	if kw == "policy" {
		if len(args) > 1 {
			return nil, bad(u, "")
		}
		if len(args) == 1 {
			c.tl.word = strings.ToLower(args[0])
		}
		return c, nil
	}
	if len(args) == 0 {
		return nil, bad(u, "parse.mention")
	}
	p, label, ok := parseMention(platform, args[0])
	if !ok {
		return nil, bad(u, "parse.mention")
	}
	c.person, c.label = p, label
	args = args[1:]
	switch kw {
	case "remove":
		if len(args) > 0 {
			return nil, bad(u, "")
		}
	case "reduction":
		if len(args) == 2 && strings.EqualFold(args[0], "end") {
			id, ok := parseID(args[1])
			if !ok {
				return nil, bad(u, "parse.reduction_number")
			}
			c.name, c.id, c.tl.end = "caseload.reduction.end", id, true
			return c, nil
		}
		if len(args) == 0 {
			return nil, bad(u, "")
		}
		pc, ok := parsePercent(args[0])
		if !ok || pc <= 0 {
			return nil, bad(u, "parse.percent")
		}
		c.tl.percent = pc
		args = args[1:]
		var err error
		if args, err = optDate(args, "until=", &c.tl.until, u); err != nil {
			return nil, err
		}
		if len(args) == 0 {
			return nil, bad(u, "parse.reduction_reason")
		}
		c.text = rest(args)
	case "leave":
		var err error
		if args, err = optDate(args, "until=", &c.tl.until, u); err != nil {
			return nil, err
		}
		c.text = rest(args)
	case "back":
		for _, a := range args {
			la := strings.ToLower(a)
			switch {
			case strings.HasPrefix(la, "phased="):
				pc, ok := parsePercent(la[len("phased="):])
				if !ok || pc <= 0 || pc >= 100 {
					return nil, bad(u, "parse.phased")
				}
				c.tl.percent = pc
			case strings.HasPrefix(la, "until="):
				if _, err := optDate([]string{a}, "until=", &c.tl.until, u); err != nil {
					return nil, err
				}
			default:
				return nil, bad(u, "")
			}
		}
		if (c.tl.percent > 0) != (c.tl.until != "") {
			return nil, bad(u, "parse.phased_until")
		}
	case "review":
		if len(args) == 0 {
			return nil, bad(u, "parse.outcome")
		}
		o, ok := domain.ParseReviewOutcome(args[0])
		if !ok {
			return nil, bad(u, "parse.outcome")
		}
		c.tl.word, c.text = string(o), rest(args[1:])
	}
	return c, nil
}

// parseCaseMove reads "move <REF> <team-id> <reason…>".
func parseCaseMove(args []string) (*cmd, error) {
	const u = "usage.case.move"
	if len(args) < 3 {
		return nil, bad(u, "parse.move_parts")
	}
	return &cmd{name: "case.move", usage: u, ref: args[0], tl: teamArgs{word: strings.ToLower(args[1])}, text: rest(args[2:])}, nil
}

// parsePercent reads "50", "50%" or "50 %" (the sign already split off).
func parsePercent(s string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
	return f, err == nil && f == f && f <= 100
}

// optDate takes a leading "until=YYYY-MM-DD" (or the given key) off args.
func optDate(args []string, key string, into *domain.Date, usage string) ([]string, error) {
	if len(args) == 0 || !strings.HasPrefix(strings.ToLower(args[0]), key) {
		return args, nil
	}
	d, err := domain.ParseDate(args[0][len(key):])
	if err != nil {
		return nil, bad(usage, "parse.date")
	}
	*into = d
	return args[1:], nil
}
