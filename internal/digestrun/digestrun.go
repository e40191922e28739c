// Package digestrun posts the weekly digest on request, outside the
// scheduler's cron: for `safeload digest` and the demo. It builds every
// team's digest (with the week's snapshot when there is none yet) and each
// service manager's across their teams, puts them in the outbox one
// transaction per team, and can wait for the delivery loop to post them;
// or, for a dry run, renders them as plain text and draws their charts
// without changing anything.
//
// It must not import a chat library, the engine or the store: messages go
// to the outbox, and delivery sends them through the senders it is given.
package digestrun

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/delivery"
	"github.com/safeload/safeload/internal/digest"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/schedule"
	"github.com/safeload/safeload/prompts"
)

// Runner builds and enqueues digests with one policy, one set of prompts
// and one time zone.
type Runner struct {
	Store   domain.Store
	Policy  *domain.Policy
	Prompts *prompts.Set
	Loc     *time.Location
	// Wake, when set, asks the outbox to deliver now after an enqueue.
	Wake func()
}

// Teams is the one team asked for, or every team when teamID is empty. An
// unknown ID is ENOTFOUND naming the teams there are.
func Teams(tx domain.Tx, teamID string) ([]*domain.Team, error) {
	if teamID == "" {
		return tx.Teams()
	}
	t, err := tx.Team(teamID)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		teams, _ := tx.Teams()
		var ids []string
		for _, t := range teams {
			ids = append(ids, t.ID)
		}
		known := "there are no teams yet"
		if len(ids) > 0 {
			known = "teams: " + strings.Join(ids, ", ")
		}
		return nil, domain.Errorf(domain.ENOTFOUND, "there is no team with ID %q (%s)", teamID, known)
	} else if err != nil {
		return nil, err
	}
	return []*domain.Team{t}, nil
}

// Enqueue puts the digests of now in the outbox, one transaction per team
// (with its weekly snapshot, when the week has none yet), and returns the
// outbox IDs and how many teams there were. With a team ID, only that
// team's channel; otherwise every team and every service manager. why goes
// in the audit log ("from the command line", "on request").
func (r *Runner) Enqueue(teamID, why string) (ids []uint64, teams int, err error) {
	var all []*domain.Team
	var oversee map[domain.PersonID][]*domain.Team
	if err := r.Store.View(func(tx domain.Tx) error {
		var err error
		if all, err = Teams(tx, teamID); err != nil {
			return err
		}
		if teamID == "" {
			oversee, err = digest.Oversees(tx)
		}
		return err
	}); err != nil {
		return nil, 0, err
	}
	for _, t := range all {
		var got []uint64
		err := r.Store.Update(func(tx domain.Tx) error {
			got = nil
			team, err := tx.Team(t.ID)
			if err != nil {
				return err
			}
			// One report stands for the week's snapshot and the digest; the
			// digest reads only weeks before this one, not the snapshot stored.
			b := &digest.Builder{Policy: r.Policy, Prompts: r.Prompts, Loc: r.Loc}
			rep, err := b.Team(tx, team, tx.Now())
			if err != nil {
				return err
			}
			if _, _, err := digest.EnsureSnapshotOf(tx, r.Loc, rep); err != nil {
				return err
			}
			msgs := b.TeamMessages(rep)
			if got, err = enqueueTracked(tx, func(tx domain.Tx) (int, error) { return schedule.PostToChannel(tx, team, msgs) }); err != nil {
				return err
			}
			return tx.Audit(&domain.AuditEntry{Actor: schedule.Actor, Team: team.ID, Action: "digest.post", Subject: team.ID, Detail: why})
		})
		if err != nil {
			return ids, len(all), err
		}
		ids = append(ids, got...)
	}
	for _, sm := range slices.Sorted(maps.Keys(oversee)) { // the same order every time
		var got []uint64
		err := r.Store.Update(func(tx domain.Tx) error {
			msgs, err := digest.BuildAcross(tx, r.Policy, r.Prompts, r.Loc, sm, oversee[sm], tx.Now())
			if err != nil {
				return err
			}
			got, err = enqueueTracked(tx, func(tx domain.Tx) (int, error) { return schedule.SendToPerson(tx, sm, msgs) })
			return err
		})
		if err != nil {
			return ids, len(all), err
		}
		ids = append(ids, got...)
	}
	if len(ids) > 0 && r.Wake != nil {
		r.Wake()
	}
	return ids, len(all), nil
}

// trackTx notes the IDs of what is enqueued through it.
type trackTx struct {
	domain.Tx
	ids []uint64
}

func (t *trackTx) Enqueue(it *domain.OutboxItem) error {
	if err := t.Tx.Enqueue(it); err != nil {
		return err
	}
	t.ids = append(t.ids, it.ID)
	return nil
}

func enqueueTracked(tx domain.Tx, fn func(domain.Tx) (int, error)) ([]uint64, error) {
	t := &trackTx{Tx: tx}
	_, err := fn(t)
	return t.ids, err
}

// Result is what became of the messages Deliver waited for.
type Result struct {
	// Sent left the outbox; Failed are kept there as failed for good;
	// Waiting are due later (a platform asked to retry, or no sender here
	// takes them).
	Sent, Waiting, Failed int
}

// Deliver runs the outbox through loop until the listed items are
// delivered, have failed for good, or must wait past within (or ctx ends).
// Other items due in the outbox go out with them. Time is the loop's clock.
func Deliver(ctx context.Context, loop *delivery.Loop, ids []uint64, within time.Duration) (Result, error) {
	clk := loop.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	deadline := clk.Now().Add(within)
	for {
		if _, err := loop.RunOnce(ctx); err != nil {
			return Result{}, err
		}
		var res Result
		var next time.Time
		if err := loop.Store.View(func(tx domain.Tx) error {
			for _, id := range ids {
				it, err := tx.OutboxItem(id)
				switch {
				case domain.ErrorCode(err) == domain.ENOTFOUND:
					res.Sent++
				case err != nil:
					return err
				case it.Failed:
					res.Failed++
				default:
					res.Waiting++
					if _, ok := loop.Senders[domain.ChannelID(it.Dest).Platform()]; ok && (next.IsZero() || it.NextTry.Before(next)) {
						next = it.NextTry
					}
				}
			}
			return nil
		}); err != nil {
			return Result{}, err
		}
		if res.Waiting == 0 || next.IsZero() || next.After(deadline) {
			return res, nil
		}
		select {
		case <-ctx.Done():
			return res, nil
		case <-time.After(max(next.Sub(clk.Now()), 50*time.Millisecond)):
		}
	}
}

// Draft is one digest message a dry run would post.
type Draft struct {
	// To is the team's channel or the service manager; empty for a team
	// with no channel, whose digest would not be posted.
	To      string
	Private bool
	Message domain.Message
}

// Preview builds the digests of now without changing anything, not even
// the weekly snapshot: with a team ID that team's, otherwise every team's
// and each service manager's.
func (r *Runner) Preview(teamID string, now time.Time) ([]Draft, error) {
	var out []Draft
	err := r.Store.View(func(tx domain.Tx) error {
		teams, err := Teams(tx, teamID)
		if err != nil {
			return err
		}
		for _, t := range teams {
			msgs, err := digest.Build(tx, r.Policy, r.Prompts, r.Loc, t, now)
			if err != nil {
				return err
			}
			for _, m := range msgs {
				out = append(out, Draft{To: string(t.Channel), Message: m})
			}
		}
		if teamID != "" {
			return nil
		}
		oversee, err := digest.Oversees(tx)
		if err != nil {
			return err
		}
		for _, sm := range slices.Sorted(maps.Keys(oversee)) { // the same order every time
			msgs, err := digest.BuildAcross(tx, r.Policy, r.Prompts, r.Loc, sm, oversee[sm], now)
			if err != nil {
				return err
			}
			for _, m := range msgs {
				out = append(out, Draft{To: string(sm), Private: true, Message: m})
			}
		}
		return nil
	})
	return out, err
}

// WriteText prints drafts as plain text, each under a line saying where it
// would go.
func WriteText(w io.Writer, drafts []Draft) error {
	var b strings.Builder
	for _, d := range drafts {
		to := d.To
		switch {
		case d.Private:
			to += " (privately)"
		case to == "":
			to = "(no channel set: it would not be posted)"
		}
		fmt.Fprintf(&b, "──── to %s ────\n%s\n", to, digest.Text(d.Message))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
