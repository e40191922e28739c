package store

import (
	"bytes"
	"fmt"
	"math"
	"time"

	"github.com/safeload/safeload/internal/domain"
)

// indexHeld (3 → 4) keeps each open case's holder as its value in the
// open-case index, lists the open cases each person holds, the open
// concerns each raised and the proposals waiting for each, and puts each hours entry's hours in the hours
// index.
func indexHeld(tx KV) error {
	if err := indexOpenConcerns(tx); err != nil {
		return err
	}
	if err := indexPendingTo(tx); err != nil {
		return err
	}
	td := tx.Bucket(bucketTeamData)
	return td.ForEachBucket(func(team []byte) error {
		tb := td.Bucket(team)
		if cases := tb.Bucket(subCases); cases != nil {
			open, err := tb.CreateBucketIfNotExists(subOpen)
			if err != nil {
				return err
			}
			if tb.Bucket(subHeld) != nil {
				if err := tb.DeleteBucket(subHeld); err != nil {
					return err
				}
			}
			held, err := tb.CreateBucket(subHeld)
			if err != nil {
				return err
			}
			err = cases.ForEach(func(ref, v []byte) error {
				var c domain.Case
				if err := decode(v, &c); err != nil {
					return fmt.Errorf("case %s of team %s: %w", ref, team, err)
				}
				return indexCase(open, held, &c, nil)
			})
			if err != nil {
				return err
			}
		}
		hours, by := tb.Bucket(subHours), tb.Bucket(subHoursBy)
		if hours == nil || by == nil {
			return nil
		}
		return hours.ForEach(func(k, v []byte) error {
			var h domain.HoursEntry
			if err := decode(v, &h); err != nil {
				return fmt.Errorf("hours entry %x of team %s: %w", k, team, err)
			}
			return by.Put(hoursByKey(h.By, h.At, btoi(k)), hoursValue(h.Hours))
		})
	})
}

// indexCase brings a case's entries in its team's open-case and holder
// indexes up to date. was is its old value in the open-case index: nil
// when it was not open in this team, else its holder then.
func indexCase(open, held Bucket, c *domain.Case, was []byte) error {
	if was != nil && c.Open() && string(was) == string(c.Holder) {
		return nil // both indexes already say so
	}
	ref := []byte(c.Ref)
	if len(was) > 0 { // a holder then, and not the same open case's now
		if err := held.Delete(heldKey(domain.PersonID(was), c.Ref)); err != nil {
			return err
		}
	}
	if !c.Open() {
		return open.Delete(ref)
	}
	if c.Holder != "" {
		if err := held.Put(heldKey(c.Holder, c.Ref), []byte{}); err != nil {
			return err
		}
	}
	return open.Put(ref, []byte(c.Holder))
}

// unindexCase takes a case out of its team's open-case and holder indexes
// (it is moving to another team).
func unindexCase(tb Bucket, ref string) error {
	open := tb.Bucket(subOpen)
	if open == nil {
		return nil
	}
	if was := open.Get([]byte(ref)); len(was) > 0 {
		if held := tb.Bucket(subHeld); held != nil {
			if err := held.Delete(heldKey(domain.PersonID(was), ref)); err != nil {
				return err
			}
		}
	}
	return open.Delete([]byte(ref))
}

// HeldCases lists the open cases p holds in a team, in the order of Cases,
// reading none of anyone else's: what one member's workload is made of.
func (t *Tx) HeldCases(team string, p domain.PersonID) ([]*domain.Case, error) {
	b, err := t.mustTeamBucket(team, subCases)
	if err != nil {
		return nil, err
	}
	held := t.teamBucket(team, subHeld)
	if held == nil {
		// A store of schema 3 or older opened read-only, which was not
		// migrated: read every open case.
		all, err := t.OpenCases(team)
		var out []*domain.Case
		for _, c := range all {
			if c.Holder == p && p != "" {
				out = append(out, c)
			}
		}
		return out, err
	}
	prefix := hoursByPrefix(p)
	var out []*domain.Case
	c := prefixCursor(held, prefix)
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		v := b.Get(k[len(prefix):])
		if v == nil {
			return nil, fmt.Errorf("store: the holder index of team %s lists %s, which is not there", team, k[len(prefix):])
		}
		cs, err := casesDecoded.decode(v)
		if err != nil {
			return nil, err
		}
		out = append(out, cs)
	}
	return out, nil
}

// HoursTotal is the sum of the hours p logged in a team at or after since,
// added up from the hours index without decoding an entry.
func (t *Tx) HoursTotal(team string, p domain.PersonID, since time.Time) (float64, error) {
	b, err := t.mustTeamBucket(team, subHours)
	if err != nil {
		return 0, err
	}
	by := t.teamBucket(team, subHoursBy)
	if by == nil {
		hs, err := t.HoursBy(team, p, since)
		return sumHours(hs), err
	}
	prefix := hoursByPrefix(p)
	exact := timeKey(since)
	var sum float64
	c := prefixCursor(by, prefix)
	for k, v := c.Seek(append(prefix, exact...)); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		at := k[len(prefix) : len(prefix)+8]
		if len(v) == 8 && btoi(at) > 0 && btoi(at) < math.MaxInt64 {
			sum += math.Float64frombits(btoi(v))
			continue
		}
		// An entry indexed before schema 4, or at a time the key cannot
		// hold exactly: read it.
		rec := b.Get(k[len(k)-8:])
		if rec == nil {
			return 0, fmt.Errorf("store: the hours index of team %s lists an entry that is not there", team)
		}
		var h domain.HoursEntry
		if err := decode(rec, &h); err != nil {
			return 0, err
		}
		if !h.At.Before(since) {
			sum += h.Hours
		}
	}
	return sum, nil
}

func sumHours(hs []*domain.HoursEntry) float64 {
	var sum float64
	for _, h := range hs {
		sum += h.Hours
	}
	return sum
}

// checkHeldIndex verifies, from the records, that a team's open-case index
// holds each open case's holder, that its holder index lists exactly the
// open cases with a holder, and that its hours index holds each entry's
// hours.
func checkHeldIndex(team []byte, tb Bucket) []error {
	var errs []error
	cases, open, held := tb.Bucket(subCases), tb.Bucket(subOpen), tb.Bucket(subHeld)
	if cases != nil && open != nil {
		if held == nil {
			return []error{fmt.Errorf("team %s has no holder index", team)}
		}
		want := map[string]bool{}
		_ = cases.ForEach(func(ref, v []byte) error {
			var c domain.Case
			if decode(v, &c) != nil || !c.Open() {
				return nil // reported with the records or the open-case index
			}
			if was := open.Get(ref); was != nil && string(was) != string(c.Holder) {
				errs = append(errs, fmt.Errorf("team %s: case %s is held by %q but the open-case index says %q", team, ref, c.Holder, was))
			}
			if c.Holder != "" {
				want[string(heldKey(c.Holder, c.Ref))] = true
			}
			return nil
		})
		_ = held.ForEach(func(k, _ []byte) error {
			if !want[string(k)] {
				errs = append(errs, fmt.Errorf("team %s: the holder index has an entry for no open case it holds (%q)", team, k))
			}
			delete(want, string(k))
			return nil
		})
		for k := range want {
			errs = append(errs, fmt.Errorf("team %s: an open case is missing from the holder index (%q)", team, k))
		}
	}
	hours, by := tb.Bucket(subHours), tb.Bucket(subHoursBy)
	if hours != nil && by != nil {
		_ = hours.ForEach(func(k, v []byte) error {
			var h domain.HoursEntry
			if decode(v, &h) != nil || len(k) != 8 {
				return nil
			}
			if got := by.Get(hoursByKey(h.By, h.At, btoi(k))); got != nil && !bytes.Equal(got, hoursValue(h.Hours)) {
				errs = append(errs, fmt.Errorf("team %s: the hours index does not hold the hours of entry %d", team, btoi(k)))
			}
			return nil
		})
	}
	return errs
}

// openConcernKey is a concern's entry in its team's index of open
// concerns: who raised it, then its ID, so one person's read in one seek.
func openConcernKey(by domain.PersonID, id uint64) []byte {
	return append(hoursByPrefix(by), itob(id)...)
}

// indexConcern brings a concern's entry in its team's open-concern index
// up to date; old is the record it replaces, if any. A team with no data
// (no buckets) has no index: OpenConcernsBy reads every concern for it.
func (t *Tx) indexConcern(c, old *domain.Concern) error {
	if old != nil && (old.Team != c.Team || old.By != c.By) {
		if idx := t.teamBucket(old.Team, subOpenConcerns); idx != nil {
			if err := idx.Delete(openConcernKey(old.By, old.ID)); err != nil {
				return err
			}
		}
	}
	idx := t.teamBucket(c.Team, subOpenConcerns)
	if idx == nil {
		return nil
	}
	if c.Resolved() {
		return idx.Delete(openConcernKey(c.By, c.ID))
	}
	return idx.Put(openConcernKey(c.By, c.ID), []byte{})
}

// fillOpenConcerns lists a team's open concerns in its new open-concern
// index: concerns filed under its ID before it had one.
func (t *Tx) fillOpenConcerns(team string) error {
	idx := t.teamBucket(team, subOpenConcerns)
	return t.tx.Bucket(bucketConcerns).ForEach(func(k, v []byte) error {
		var c domain.Concern
		if err := decode(v, &c); err != nil {
			return err
		}
		if c.Team != team || c.Resolved() {
			return nil
		}
		return idx.Put(openConcernKey(c.By, btoi(k)), []byte{})
	})
}

// OpenConcernsBy lists the concerns p raised in a team that are not
// resolved, oldest first, reading nobody else's.
func (t *Tx) OpenConcernsBy(team string, p domain.PersonID) ([]*domain.Concern, error) {
	idx := t.teamBucket(team, subOpenConcerns)
	if idx == nil {
		all, err := t.Concerns(team, true)
		var out []*domain.Concern
		for _, c := range all {
			if c.By == p {
				out = append(out, c)
			}
		}
		return out, err
	}
	prefix := hoursByPrefix(p)
	var out []*domain.Concern
	cur := prefixCursor(idx, prefix)
	for k, _ := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = cur.Next() {
		c, err := t.Concern(btoi(k[len(prefix):]))
		if err != nil {
			return nil, fmt.Errorf("store: the open-concern index of team %s lists concern %d: %w", team, btoi(k[len(prefix):]), err)
		}
		out = append(out, c)
	}
	return out, nil
}

// indexOpenConcerns (3 → 4, with indexHeld) lists every open concern in its
// team's open-concern index.
func indexOpenConcerns(tx KV) error {
	td := tx.Bucket(bucketTeamData)
	err := td.ForEachBucket(func(team []byte) error {
		tb := td.Bucket(team)
		if tb.Bucket(subMembers) == nil {
			return nil // the audit log of no team
		}
		if tb.Bucket(subOpenConcerns) != nil {
			if err := tb.DeleteBucket(subOpenConcerns); err != nil {
				return err
			}
		}
		_, err := tb.CreateBucket(subOpenConcerns)
		return err
	})
	if err != nil {
		return err
	}
	return tx.Bucket(bucketConcerns).ForEach(func(k, v []byte) error {
		var c domain.Concern
		if err := decode(v, &c); err != nil {
			return fmt.Errorf("concern %d: %w", btoi(k), err)
		}
		tb := td.Bucket([]byte(c.Team))
		if c.Resolved() || tb == nil || tb.Bucket(subOpenConcerns) == nil {
			return nil
		}
		return tb.Bucket(subOpenConcerns).Put(openConcernKey(c.By, btoi(k)), []byte{})
	})
}

// checkOpenConcerns verifies that every team's open-concern index lists
// exactly its open concerns.
func checkOpenConcerns(tx KV) []error {
	td := tx.Bucket(bucketTeamData)
	want := map[string]map[string]bool{}
	_ = tx.Bucket(bucketConcerns).ForEach(func(k, v []byte) error {
		var c domain.Concern
		if decode(v, &c) != nil || c.Resolved() || len(k) != 8 {
			return nil // reported with the records
		}
		if tb := td.Bucket([]byte(c.Team)); tb == nil || tb.Bucket(subOpenConcerns) == nil {
			return nil
		}
		if want[c.Team] == nil {
			want[c.Team] = map[string]bool{}
		}
		want[c.Team][string(openConcernKey(c.By, btoi(k)))] = true
		return nil
	})
	var errs []error
	_ = td.ForEachBucket(func(team []byte) error {
		idx := td.Bucket(team).Bucket(subOpenConcerns)
		if idx == nil {
			if td.Bucket(team).Bucket(subMembers) != nil {
				errs = append(errs, fmt.Errorf("team %s has no open-concern index", team))
			}
			return nil
		}
		w := want[string(team)]
		_ = idx.ForEach(func(k, _ []byte) error {
			if !w[string(k)] {
				errs = append(errs, fmt.Errorf("team %s: the open-concern index lists a concern that is not open in this team (%q)", team, k))
			}
			delete(w, string(k))
			return nil
		})
		for k := range w {
			errs = append(errs, fmt.Errorf("team %s: an open concern is missing from the open-concern index (%q)", team, k))
		}
		return nil
	})
	return errs
}
