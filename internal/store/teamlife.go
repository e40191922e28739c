package store

import "github.com/safeload/safeload/internal/domain"

// DeleteMember takes a person off a team and out of the memberships index.
// Their audit entries, concerns, hours and reviews are kept elsewhere and
// stay.
func (t *Tx) DeleteMember(team string, p domain.PersonID) error {
	b, err := t.mustTeamBucket(team, subMembers)
	if err != nil {
		return err
	}
	if b.Get([]byte(p)) == nil {
		return notFound("%s is not a member of this team.", p)
	}
	if err := t.tx.Bucket(bucketMemberships).Delete(membershipKey(string(p), team)); err != nil {
		return err
	}
	if err := t.bumpRev(team); err != nil {
		return err
	}
	return b.Delete([]byte(p))
}

// AddReview stores a caseload review under the next sequence of its team's
// reviews. Teams made before reviews were kept get the bucket on their
// first.
func (t *Tx) AddReview(r *domain.Review) error {
	if _, err := t.mustTeamBucket(r.Team, subMembers); err != nil {
		return err
	}
	b, err := t.tx.Bucket(bucketTeamData).Bucket([]byte(r.Team)).CreateBucketIfNotExists(subReviews)
	if err != nil {
		return err
	}
	id, err := b.NextSequence()
	if err != nil {
		return err
	}
	r.ID = id
	if r.At.IsZero() {
		r.At = t.now
	}
	return t.put(b, itob(id), r)
}

// Reviews lists a team's caseload reviews, oldest first.
func (t *Tx) Reviews(team string) ([]*domain.Review, error) {
	if _, err := t.mustTeamBucket(team, subMembers); err != nil {
		return nil, err
	}
	b := t.teamBucket(team, subReviews)
	if b == nil {
		return nil, nil
	}
	rs, err := decodeEach(b, decodeNew[domain.Review])
	domain.SortReviews(rs)
	return rs, err
}

// MoveCase takes a case out of team from (its cases and open-case index)
// and stores it in its new team, pointing the reference index there.
func (t *Tx) MoveCase(c *domain.Case, from string) error {
	if _, err := t.mustTeamBucket(c.Team, subCases); err != nil {
		return err
	}
	old, err := t.mustTeamBucket(from, subCases)
	if err != nil {
		return err
	}
	refs := t.tx.Bucket(bucketCaseRefs)
	if owner := refs.Get([]byte(c.Ref)); owner == nil || string(owner) != from {
		return notFound("There is no case %s in team %s.", c.Ref, from)
	}
	if err := old.Delete([]byte(c.Ref)); err != nil {
		return err
	}
	if err := unindexCase(t.tx.Bucket(bucketTeamData).Bucket([]byte(from)), c.Ref); err != nil {
		return err
	}
	if err := t.bumpRev(from); err != nil {
		return err
	}
	if err := refs.Put([]byte(c.Ref), []byte(c.Team)); err != nil {
		return err
	}
	return t.PutCase(c)
}
