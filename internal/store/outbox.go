package store

import (
	"bytes"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/safeload/safeload/internal/domain"
)

// The outbox's indexes let delivery, /healthz and /metrics read only what
// they need: outboxdue lists the items waiting for delivery by the time
// they are next due, outboxlive the same items by sequence (its first key
// is the oldest), and meta's outboxdepth counts them. Failed items are in
// none of them. All three change in the same transaction as the item.

// indexOutbox adds a waiting item to the indexes; old, when not nil, is the
// item as it was stored before and is taken out first.
func indexOutbox(tx *bolt.Tx, old, it *domain.OutboxItem) error {
	wasLive := old != nil && !old.Failed
	if wasLive {
		if err := unindexOutbox(tx, old); err != nil {
			return err
		}
	}
	if it.Failed {
		return nil
	}
	if err := tx.Bucket(bucketOutboxDue).Put(outboxDueKey(it.NextTry, it.ID), []byte{}); err != nil {
		return err
	}
	if err := tx.Bucket(bucketOutboxLive).Put(itob(it.ID), []byte{}); err != nil {
		return err
	}
	return addOutboxDepth(tx, 1)
}

// unindexOutbox takes a waiting item out of the indexes.
func unindexOutbox(tx *bolt.Tx, it *domain.OutboxItem) error {
	if it.Failed {
		return nil
	}
	if err := tx.Bucket(bucketOutboxDue).Delete(outboxDueKey(it.NextTry, it.ID)); err != nil {
		return err
	}
	if err := tx.Bucket(bucketOutboxLive).Delete(itob(it.ID)); err != nil {
		return err
	}
	return addOutboxDepth(tx, -1)
}

func addOutboxDepth(tx *bolt.Tx, d int) error {
	meta := tx.Bucket(bucketMeta)
	n := int64(0)
	if v := meta.Get(keyOutboxDepth); len(v) == 8 {
		n = int64(btoi(v))
	}
	n = max(n+int64(d), 0)
	return meta.Put(keyOutboxDepth, itob(uint64(n)))
}

// indexOutboxAll (2 → 3) builds the outbox indexes from the items.
func indexOutboxAll(tx *bolt.Tx) error {
	return tx.Bucket(bucketOutbox).ForEach(func(k, v []byte) error {
		var it domain.OutboxItem
		if err := decode(v, &it); err != nil {
			return err
		}
		return indexOutbox(tx, nil, &it)
	})
}

// OutboxDue lists the waiting items due at now (NextTry not after it), in
// the order they were enqueued, at most limit (0: all). Items not due are
// not read.
func (t *Tx) OutboxDue(now time.Time, limit int) ([]*domain.OutboxItem, error) {
	var out []*domain.OutboxItem
	end := timeKey(now)
	items := t.tx.Bucket(bucketOutbox)
	c := t.tx.Bucket(bucketOutboxDue).Cursor()
	for k, _ := c.First(); k != nil && bytes.Compare(k[:8], end) <= 0; k, _ = c.Next() {
		v := items.Get(k[8:])
		if v == nil {
			continue
		}
		var it domain.OutboxItem
		if err := decode(v, &it); err != nil {
			return nil, err
		}
		out = append(out, &it)
	}
	sortByID(out)
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func sortByID(items []*domain.OutboxItem) {
	for i := 1; i < len(items); i++ {
		for j := i; j > 0 && items[j].ID < items[j-1].ID; j-- {
			items[j], items[j-1] = items[j-1], items[j]
		}
	}
}

// outboxStats is the count of waiting items and the oldest one's age,
// from the indexes: one item is decoded, whatever the depth.
func outboxStats(tx *bolt.Tx) (depth int, oldest time.Time, err error) {
	if v := tx.Bucket(bucketMeta).Get(keyOutboxDepth); len(v) == 8 {
		depth = int(btoi(v))
	}
	k, _ := tx.Bucket(bucketOutboxLive).Cursor().First()
	if k == nil {
		return depth, time.Time{}, nil
	}
	var it domain.OutboxItem
	if v := tx.Bucket(bucketOutbox).Get(k); v != nil {
		if err := decode(v, &it); err != nil {
			return 0, time.Time{}, err
		}
	}
	return depth, it.CreatedAt, nil
}

// checkOutboxIndex verifies that the outbox indexes and count list exactly
// the waiting items.
func checkOutboxIndex(tx *bolt.Tx) []error {
	items, due, live := tx.Bucket(bucketOutbox), tx.Bucket(bucketOutboxDue), tx.Bucket(bucketOutboxLive)
	if items == nil || due == nil || live == nil {
		return nil // reported as missing buckets
	}
	var errs []error
	waiting := 0
	_ = items.ForEach(func(k, v []byte) error {
		var it domain.OutboxItem
		if decode(v, &it) != nil || it.Failed {
			return nil
		}
		waiting++
		if due.Get(outboxDueKey(it.NextTry, it.ID)) == nil || live.Get(k) == nil {
			errs = append(errs, fmt.Errorf("outbox item %d is missing from the outbox indexes", it.ID))
		}
		return nil
	})
	if n := due.Stats().KeyN; n != waiting {
		errs = append(errs, fmt.Errorf("the outbox due index lists %d items, %d are waiting", n, waiting))
	}
	if n := live.Stats().KeyN; n != waiting {
		errs = append(errs, fmt.Errorf("the outbox index lists %d items, %d are waiting", n, waiting))
	}
	if depth, _, err := outboxStats(tx); err == nil && depth != waiting {
		errs = append(errs, fmt.Errorf("the outbox count says %d, %d are waiting", depth, waiting))
	}
	return errs
}
