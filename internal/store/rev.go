package store

// The team's own bucket (t/<team>) keeps, as its sequence, the team's
// revision: it goes up in every transaction that changes the team's record,
// members or cases, so a view worked out from those at one revision holds
// for as long as the revision stays.

// bumpRev moves a team's revision on; a team without data yet has none.
func (t *Tx) bumpRev(team string) error {
	tb := t.teamRoot(team)
	if tb == nil {
		return nil
	}
	_, err := tb.NextSequence()
	return err
}

// TeamRev is the team's revision.
func (t *Tx) TeamRev(team string) (uint64, error) {
	tb := t.teamRoot(team)
	if tb == nil {
		return 0, notFound("There is no team %q.", team)
	}
	return tb.Sequence(), nil
}
