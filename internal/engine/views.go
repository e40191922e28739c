package engine

import (
	"time"

	"github.com/safeload/safeload/internal/domain"
)

var zeroTime time.Time

// boardMessage is the team's capacity board: every case-carrying member,
// worst first, and the team's figures (points summed first, then divided).
func (r *run) boardMessage() (domain.Message, domain.TeamSummary, error) {
	ms, err := r.tx.Members(r.team.ID)
	if err != nil {
		return domain.Message{}, domain.TeamSummary{}, err
	}
	cs, err := r.cases()
	if err != nil {
		return domain.Message{}, domain.TeamSummary{}, err
	}
	s := r.pol.Summarise(ms, cs, r.day)
	lines := make([]domain.Line, 0, len(s.Workloads))
	for _, w := range s.Workloads {
		lines = append(lines, domain.Line{Text: r.say("board.line", "W", w), RAG: w.RAG})
	}
	if len(lines) == 0 {
		lines = append(lines, domain.Line{Text: r.say("board.empty")})
	}
	worst := domain.Green
	if s.Amber > 0 {
		worst = domain.Amber
	}
	if s.Red > 0 {
		worst = domain.Red
	}
	msg := domain.Message{
		Title:    r.say("board.title", "Team", r.team.Name),
		Fields:   append(summaryFields(r, s), r.staffingFields(ms)...),
		Sections: []domain.Section{{Title: r.say("board.people"), Lines: lines}},
		RAG:      worst,
	}
	return msg, s, nil
}

func summaryFields(r *run, s domain.TeamSummary) []domain.Field {
	return []domain.Field{
		{Name: r.say("board.f.load"), Value: r.say("board.v.load", "S", s)},
		{Name: r.say("board.f.colours"), Value: r.say("board.v.colours", "S", s)},
		{Name: r.say("board.f.average"), Value: r.say("board.v.average", "S", s)},
		{Name: r.say("board.f.queue"), Value: r.say("board.v.queue", "S", s)},
	}
}

func (r *run) board() error {
	if err := r.requireSeer(); err != nil {
		return err
	}
	msg, err := r.cachedBoardMessage()
	if err != nil {
		return err
	}
	r.toCaller(msg)
	return nil
}

func (r *run) digest() error {
	if err := r.requireManager("digest"); err != nil {
		return err
	}
	if r.e.Digest == nil {
		msg, _, err := r.boardMessage()
		if err != nil {
			return err
		}
		r.toChannel(msg)
		return nil
	}
	msgs, err := r.e.Digest(r.tx, r.team, r.now)
	if err != nil {
		return err
	}
	// The digest goes to the team's channel through the outbox, as the
	// weekly one does: only the outbox's senders carry its chart (a file
	// upload, an attachment), which an answer to a command cannot. The
	// caller is told privately that it is on its way.
	dest := r.team.Channel
	if dest == "" {
		dest = r.req.Channel
	}
	chart := false
	for _, m := range msgs {
		chart = chart || m.Image != nil
		m.Audience, m.To = domain.ToChannel, string(dest)
		if err := r.tx.Enqueue(&domain.OutboxItem{Dest: string(dest), Kind: KindDigest, Message: m}); err != nil {
			return err
		}
		r.enqueued = true
	}
	if err := r.audit("digest.post", r.team.ID, "", "", "on request"); err != nil {
		return err
	}
	r.toCaller(domain.Message{Text: r.e.say("digest.posted", "Team", r.team.Name, "Here", dest == r.req.Channel, "Chart", chart)})
	return nil
}

// KindDigest is the outbox kind of a digest posted on request, the same as
// the weekly one's.
const KindDigest = "digest"
