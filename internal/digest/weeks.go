package digest

import (
	"time"

	"github.com/safeload/safeload/internal/domain"
)

// Weeks is a team's stored weekly snapshots in one transaction, oldest
// week first, each decoded at most once and only when asked for. A team's
// snapshots pile up by 52 a year, and one weekly pass used to decode the
// same ones three times (last week's for the digest, the trend chart's,
// and every one ever stored for the long over-capacity clock).
type Weeks struct {
	tx    domain.Tx
	team  string
	weeks []domain.Date
	snaps []*Snapshot
}

// ReadWeeks lists the team's snapshot weeks in tx, decoding none.
func ReadWeeks(tx domain.Tx, team string) (*Weeks, error) {
	w := &Weeks{tx: tx, team: team}
	return w, w.Reread()
}

// Reread lists the weeks again, after a snapshot was stored in the same
// transaction. A week's snapshot is never rewritten (the first figures of a
// week stand for it), so the ones already decoded are kept.
func (w *Weeks) Reread() error {
	weeks, err := w.tx.SnapshotWeeks(w.team)
	if err != nil {
		return err
	}
	had := map[domain.Date]*Snapshot{}
	for i, s := range w.snaps {
		if s != nil {
			had[w.weeks[i]] = s
		}
	}
	w.weeks, w.snaps = weeks, make([]*Snapshot, len(weeks))
	for i, wk := range weeks {
		w.snaps[i] = had[wk]
	}
	return nil
}

// Len is how many weeks have a snapshot.
func (w *Weeks) Len() int { return len(w.weeks) }

// At is the i-th snapshot, oldest first; nil if it went in the meantime.
func (w *Weeks) At(i int) (*Snapshot, error) {
	if s := w.snaps[i]; s != nil {
		return s, nil
	}
	var s Snapshot
	if ok, err := w.tx.WeekSnapshot(w.team, w.weeks[i], &s); err != nil || !ok {
		return nil, err
	}
	w.snaps[i] = &s
	return &s, nil
}

// Previous is the latest snapshot of a week before week, or nil when there
// is none.
func (w *Weeks) Previous(week domain.Date) (*Snapshot, error) {
	for i := len(w.weeks) - 1; i >= 0; i-- {
		if w.weeks[i] >= week {
			continue
		}
		if s, err := w.At(i); err != nil || s != nil {
			return s, err
		}
	}
	return nil, nil
}

// Recent is the snapshots of the n weeks up to and including the week of
// the Monday week, oldest first; weeks with none are left out. Only those
// are decoded, however many years the store holds.
func (w *Weeks) Recent(week domain.Date, n int) ([]*Snapshot, error) {
	from := domain.Date(week.Time(time.UTC).AddDate(0, 0, -7*(n-1)).Format(time.DateOnly))
	var out []*Snapshot
	for i, wk := range w.weeks {
		if wk < from || wk > week {
			continue
		}
		s, err := w.At(i)
		if err != nil {
			return nil, err
		} else if s != nil {
			out = append(out, s)
		}
	}
	return out, nil
}
