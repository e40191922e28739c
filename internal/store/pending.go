package store

import (
	"bytes"
	"fmt"

	"github.com/safeload/safeload/internal/domain"
)

// pendingValue is a proposal's value in the pending index (since schema 4):
// its team and whom it is proposed to, so that a change finds the entry of
// the team's index without decoding the proposal.
func pendingValue(team string, to domain.PersonID) []byte {
	v := make([]byte, 0, len(team)+1+len(to))
	v = append(v, team...)
	v = append(v, 0)
	return append(v, to...)
}

// indexPending keeps a proposal's entries in the pending index and in its
// team's index of pending proposals by person up to date.
func (t *Tx) indexPending(p *domain.Proposal) error {
	pending := t.tx.Bucket(bucketPending)
	id := itob(p.ID)
	if old := pending.Get(id); len(old) > 0 {
		team, to, _ := bytes.Cut(old, []byte{0})
		if idx := t.teamBucket(string(team), subPendingTo); idx != nil {
			if err := idx.Delete(openConcernKey(domain.PersonID(to), p.ID)); err != nil {
				return err
			}
		}
	}
	if p.Status != domain.ProposalPending {
		return pending.Delete(id)
	}
	if idx := t.teamBucket(p.Team, subPendingTo); idx != nil {
		if err := idx.Put(openConcernKey(p.To, p.ID), []byte{}); err != nil {
			return err
		}
	}
	return pending.Put(id, pendingValue(p.Team, p.To))
}

// PendingTo lists the proposals waiting for p's answer in a team, oldest
// first, reading no other proposal.
func (t *Tx) PendingTo(team string, p domain.PersonID) ([]*domain.Proposal, error) {
	idx := t.teamBucket(team, subPendingTo)
	if idx == nil {
		all, err := t.PendingProposals()
		var out []*domain.Proposal
		for _, x := range all {
			if x.Team == team && x.To == p {
				out = append(out, x)
			}
		}
		return out, err
	}
	prefix := hoursByPrefix(p)
	var out []*domain.Proposal
	c := prefixCursor(idx, prefix)
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		x, err := t.Proposal(btoi(k[len(prefix):]))
		if err != nil {
			return nil, fmt.Errorf("store: the pending index of team %s lists proposal %d: %w", team, btoi(k[len(prefix):]), err)
		}
		out = append(out, x)
	}
	return out, nil
}

// fillPendingTo lists a team's pending proposals in its new index: those
// made under its ID before it had one.
func (t *Tx) fillPendingTo(team string) error {
	idx := t.teamBucket(team, subPendingTo)
	return t.tx.Bucket(bucketPending).ForEach(func(k, _ []byte) error {
		p, err := t.Proposal(btoi(k))
		if err != nil {
			return err
		}
		if p.Team != team {
			return nil
		}
		return idx.Put(openConcernKey(p.To, p.ID), []byte{})
	})
}

// indexPendingTo (3 → 4, with indexHeld) gives every pending proposal its
// value in the pending index and its entry in its team's index.
func indexPendingTo(tx KV) error {
	td := tx.Bucket(bucketTeamData)
	err := td.ForEachBucket(func(team []byte) error {
		tb := td.Bucket(team)
		if tb.Bucket(subMembers) == nil {
			return nil // the audit log of no team
		}
		if tb.Bucket(subPendingTo) != nil {
			if err := tb.DeleteBucket(subPendingTo); err != nil {
				return err
			}
		}
		_, err := tb.CreateBucket(subPendingTo)
		return err
	})
	if err != nil {
		return err
	}
	pending, proposals := tx.Bucket(bucketPending), tx.Bucket(bucketProposals)
	var ids [][]byte
	_ = pending.ForEach(func(k, _ []byte) error { ids = append(ids, bytes.Clone(k)); return nil })
	for _, k := range ids {
		var p domain.Proposal
		v := proposals.Get(k)
		if v == nil {
			return fmt.Errorf("the pending index lists proposal %d, which is not there", btoi(k))
		}
		if err := decode(v, &p); err != nil {
			return fmt.Errorf("proposal %d: %w", btoi(k), err)
		}
		if err := pending.Put(k, pendingValue(p.Team, p.To)); err != nil {
			return err
		}
		if tb := td.Bucket([]byte(p.Team)); tb != nil && tb.Bucket(subPendingTo) != nil {
			if err := tb.Bucket(subPendingTo).Put(openConcernKey(p.To, btoi(k)), []byte{}); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkPendingTo verifies that the pending index holds each pending
// proposal's team and person, and that every team's index lists exactly its
// pending proposals.
func checkPendingTo(tx KV) []error {
	td, proposals := tx.Bucket(bucketTeamData), tx.Bucket(bucketProposals)
	var errs []error
	want := map[string]map[string]bool{}
	_ = tx.Bucket(bucketPending).ForEach(func(k, v []byte) error {
		var p domain.Proposal
		rec := proposals.Get(k)
		if rec == nil || decode(rec, &p) != nil || len(k) != 8 {
			errs = append(errs, fmt.Errorf("the pending index lists proposal %x, which cannot be read", k))
			return nil
		}
		if !bytes.Equal(v, pendingValue(p.Team, p.To)) {
			errs = append(errs, fmt.Errorf("the pending index does not hold the team and person of proposal %d", p.ID))
		}
		if want[p.Team] == nil {
			want[p.Team] = map[string]bool{}
		}
		want[p.Team][string(openConcernKey(p.To, btoi(k)))] = true
		return nil
	})
	_ = td.ForEachBucket(func(team []byte) error {
		idx := td.Bucket(team).Bucket(subPendingTo)
		if idx == nil {
			if td.Bucket(team).Bucket(subMembers) != nil {
				errs = append(errs, fmt.Errorf("team %s has no index of pending proposals", team))
			}
			return nil
		}
		w := want[string(team)]
		_ = idx.ForEach(func(k, _ []byte) error {
			if !w[string(k)] {
				errs = append(errs, fmt.Errorf("team %s: the index of pending proposals lists one that is not pending in this team (%q)", team, k))
			}
			delete(w, string(k))
			return nil
		})
		for k := range w {
			errs = append(errs, fmt.Errorf("team %s: a pending proposal is missing from the team's index (%q)", team, k))
		}
		return nil
	})
	return errs
}
