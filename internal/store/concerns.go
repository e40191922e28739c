package store

import (
	"bytes"
	"fmt"

	"github.com/safeload/safeload/internal/domain"
)

// The concerns index: teamconcerns holds team 0x00 id → nothing for every
// concern, so that a team's concerns are read without reading every other
// team's (since schema 5).

func concernIndexKey(team string, id uint64) []byte {
	k := make([]byte, 0, len(team)+9)
	k = append(k, team...)
	k = append(k, 0)
	return append(k, itob(id)...)
}

// indexTeamConcern lists c under its team, and no longer under old's team when
// old (the stored record, or nil) was in another.
func (t *Tx) indexTeamConcern(old, c *domain.Concern) error {
	idx := t.tx.Bucket(bucketTeamConcerns)
	if idx == nil {
		return nil // a read-only store of an older schema: it cannot be written anyway
	}
	if old != nil && old.Team != c.Team {
		if err := idx.Delete(concernIndexKey(old.Team, old.ID)); err != nil {
			return err
		}
	}
	return idx.Put(concernIndexKey(c.Team, c.ID), []byte{})
}

// teamConcerns lists a team's concerns from the index, oldest first; ok is
// false when the store has no index (a read-only store of an older schema).
func (t *Tx) teamConcerns(team string, openOnly bool) (out []*domain.Concern, ok bool, err error) {
	idx := t.tx.Bucket(bucketTeamConcerns)
	if idx == nil {
		return nil, false, nil
	}
	prefix := concernIndexKey(team, 0)[:len(team)+1]
	all := t.tx.Bucket(bucketConcerns)
	c := prefixCursor(idx, prefix)
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		v := all.Get(k[len(prefix):])
		if v == nil {
			return nil, true, fmt.Errorf("store: the concerns index of team %s lists concern %d, which is not there", team, btoi(k[len(prefix):]))
		}
		var cn domain.Concern
		if err := decode(v, &cn); err != nil {
			return nil, true, err
		}
		if !openOnly || !cn.Resolved() {
			out = append(out, &cn)
		}
	}
	return out, true, nil
}

// indexConcerns (4 → 5) lists every concern under its team.
func indexConcerns(tx KV) error {
	idx := tx.Bucket(bucketTeamConcerns)
	return tx.Bucket(bucketConcerns).ForEach(func(k, v []byte) error {
		var c domain.Concern
		if err := decode(v, &c); err != nil {
			return fmt.Errorf("concern %d: %w", btoi(k), err)
		}
		return idx.Put(concernIndexKey(c.Team, btoi(k)), []byte{})
	})
}

// checkConcernIndex verifies that the concerns index lists every concern
// under its team, and nothing else.
func checkConcernIndex(tx KV) []error {
	all, idx := tx.Bucket(bucketConcerns), tx.Bucket(bucketTeamConcerns)
	if all == nil || idx == nil {
		return nil // reported as missing buckets
	}
	var errs []error
	want := map[string]bool{}
	_ = all.ForEach(func(k, v []byte) error {
		var c struct {
			Team string `json:"team"`
		}
		if decode(v, &c) != nil || len(k) != 8 {
			return nil // reported with the records
		}
		key := concernIndexKey(c.Team, btoi(k))
		want[string(key)] = true
		if idx.Get(key) == nil {
			errs = append(errs, fmt.Errorf("concern %d is missing from the concerns index", btoi(k)))
		}
		return nil
	})
	_ = idx.ForEach(func(k, _ []byte) error {
		if !want[string(k)] {
			errs = append(errs, fmt.Errorf("the concerns index has an entry for no concern (%q)", k))
		}
		return nil
	})
	return errs
}
