package store

import (
	"strings"

	"github.com/safeload/safeload/internal/domain"
)

// Weekly snapshots live in the state bucket as "snap:<team>:<YYYY-MM-DD>"
// (the week's Monday), which sorts by week; team IDs are slugs without a
// colon, so one team's prefix never takes in another's.

func snapshotPrefix(team string) string { return "snap:" + team + ":" }

func snapshotKey(team string, week domain.Date) string { return snapshotPrefix(team) + string(week) }

// WeekSnapshot reads the team's stored figures of the week starting on the
// Monday week into v; with v nil it only says whether they are stored,
// decoding nothing (every scheduler pass asks this of every team).
func (t *Tx) WeekSnapshot(team string, week domain.Date, v any) (bool, error) {
	if v == nil {
		return t.tx.Bucket(bucketState).Get([]byte(snapshotKey(team, week))) != nil, nil
	}
	return t.GetState(snapshotKey(team, week), v)
}

// PutWeekSnapshot stores the team's figures of the week starting on week.
func (t *Tx) PutWeekSnapshot(team string, week domain.Date, v any) error {
	return t.PutState(snapshotKey(team, week), v)
}

// SnapshotWeeks lists the weeks the team has snapshots of, oldest first.
func (t *Tx) SnapshotWeeks(team string) ([]domain.Date, error) {
	keys, err := t.StateKeys(snapshotPrefix(team))
	if err != nil {
		return nil, err
	}
	weeks := make([]domain.Date, 0, len(keys))
	for _, k := range keys {
		weeks = append(weeks, domain.Date(strings.TrimPrefix(k, snapshotPrefix(team))))
	}
	return weeks, nil
}
