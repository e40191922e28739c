package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/safeload/safeload/internal/domain"
)

var errRefused = domain.Errorf(domain.ECONFLICT, "refused")

func isRefused(err error) bool {
	return errors.Is(err, errRefused) || domain.ErrorCode(err) == domain.ECONFLICT
}

// bank is a speculative workload with every kind of read a command makes:
// Gets, a walk of a bucket, a nested bucket, sequences and refusals. Money
// moves between accounts; each move appends to a ledger under a new
// sequence number and moves the "rev" on; a census walks every account and
// writes down the total, which must always be the money there is.
type bank struct {
	db       *DB
	accounts int
	money    uint64
}

var (
	bankBucket = []byte("bank")
	accBucket  = []byte("accounts")
	ledger     = []byte("ledger")
	totalKey   = []byte("total")
)

func u64(b []byte) uint64 {
	if len(b) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

func put64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func openBank(t *testing.T, accounts int, each uint64) *bank {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "bank.db"), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket(bankBucket)
		if err != nil {
			return err
		}
		acc, err := b.CreateBucket(accBucket)
		if err != nil {
			return err
		}
		for i := range accounts {
			if err := acc.Put(fmt.Appendf(nil, "a%03d", i), put64(each)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return &bank{db: db, accounts: accounts, money: uint64(accounts) * each}
}

func kvOf(tx domain.Tx) KV { return tx.(*Tx).KV() }

// move takes amount from one account to another; an account that has too
// little refuses.
func (bk *bank) move(from, to int, amount uint64) func(domain.Tx) error {
	return func(tx domain.Tx) error {
		b := kvOf(tx).Bucket(bankBucket)
		acc := b.Bucket(accBucket)
		fk, tk := fmt.Appendf(nil, "a%03d", from), fmt.Appendf(nil, "a%03d", to)
		fv := u64(acc.Get(fk))
		if fv < amount {
			return errRefused
		}
		if err := acc.Put(fk, put64(fv-amount)); err != nil {
			return err
		}
		if err := acc.Put(tk, put64(u64(acc.Get(tk))+amount)); err != nil {
			return err
		}
		l, err := b.CreateBucketIfNotExists(ledger)
		if err != nil {
			return err
		}
		id, err := l.NextSequence()
		if err != nil {
			return err
		}
		if l.Get(put64(id)) != nil {
			return fmt.Errorf("ledger entry %d taken twice", id)
		}
		if err := l.Put(put64(id), fmt.Appendf(nil, "%d>%d:%d", from, to, amount)); err != nil {
			return err
		}
		_, err = b.NextSequence() // the bank's revision
		return err
	}
}

// census walks the accounts and writes down their total.
func (bk *bank) census(tx domain.Tx) error {
	b := kvOf(tx).Bucket(bankBucket)
	var sum uint64
	if err := b.Bucket(accBucket).ForEach(func(_, v []byte) error { sum += u64(v); return nil }); err != nil {
		return err
	}
	return b.Put(totalKey, put64(sum))
}

func TestSpeculationKeepsEveryInvariantUnderConcurrency(t *testing.T) {
	bk := openBank(t, 12, 50)
	const workers, each = 16, 150
	var wg sync.WaitGroup
	var moved, refusals sync.Map
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for i := range each {
				if i%10 == 9 {
					if err := bk.db.Speculate(bk.census, isRefused); err != nil {
						t.Errorf("census: %v", err)
					}
					continue
				}
				from, to := rng.IntN(bk.accounts), rng.IntN(bk.accounts)
				amount := uint64(1 + rng.IntN(30))
				err := bk.db.Speculate(bk.move(from, to, amount), isRefused)
				switch {
				case err == nil:
					moved.Store(fmt.Sprint(w, i), amount)
				case isRefused(err):
					refusals.Store(fmt.Sprint(w, i), true)
				default:
					t.Errorf("move: %v", err)
				}
			}
		}()
	}
	wg.Wait()
	nMoved := 0
	moved.Range(func(_, _ any) bool { nMoved++; return true })
	st := bk.db.SpecStats()
	t.Logf("moves committed %d; speculation: %+v", nMoved, st)
	if st.Applied == 0 || st.Stale == 0 {
		t.Errorf("the workload should both apply speculations and find stale ones: %+v", st)
	}

	err := bk.db.bolt.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bankBucket)
		var sum uint64
		_ = b.Bucket(accBucket).ForEach(func(_, v []byte) error { sum += u64(v); return nil })
		if sum != bk.money {
			t.Errorf("the accounts hold %d, want %d: money was made or lost", sum, bk.money)
		}
		if got := u64(b.Get(totalKey)); got != bk.money {
			t.Errorf("a census wrote down %d, want %d: it saw a state no serial order gives", got, bk.money)
		}
		l := b.Bucket(ledger)
		entries := 0
		var last uint64
		_ = l.ForEach(func(k, _ []byte) error { entries++; last = u64(k); return nil })
		if entries != nMoved {
			t.Errorf("the ledger has %d entries for %d committed moves", entries, nMoved)
		}
		if l.Sequence() < last {
			t.Errorf("the ledger's sequence %d is below its last entry %d", l.Sequence(), last)
		}
		if b.Sequence() < uint64(nMoved) {
			t.Errorf("the revision %d went up fewer times than the %d moves that changed the bank", b.Sequence(), nMoved)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The same moves one after another give the same accounts through
// Speculate as through Update, and speculation's numbers have no gaps when
// nothing runs beside it.
func TestSpeculationMatchesSerialRuns(t *testing.T) {
	a, b := openBank(t, 5, 20), openBank(t, 5, 20)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		from, to, amount := rng.IntN(5), rng.IntN(5), uint64(1+rng.IntN(15))
		errA := a.db.Speculate(a.move(from, to, amount), isRefused)
		errB := b.db.Update(b.move(from, to, amount))
		if (errA == nil) != (errB == nil) {
			t.Fatalf("speculation said %v, a serial run %v", errA, errB)
		}
	}
	if err := a.db.Speculate(a.census, isRefused); err != nil {
		t.Fatal(err)
	}
	if err := b.db.Update(b.census); err != nil {
		t.Fatal(err)
	}
	dump := func(bk *bank) []byte {
		var buf bytes.Buffer
		_ = bk.db.bolt.View(func(tx *bolt.Tx) error {
			bb := tx.Bucket(bankBucket)
			fmt.Fprintf(&buf, "rev %d\n", bb.Sequence())
			return bb.ForEachBucket(func(name []byte) error {
				fmt.Fprintf(&buf, "%s seq %d\n", name, bb.Bucket(name).Sequence())
				return bb.Bucket(name).ForEach(func(k, v []byte) error {
					fmt.Fprintf(&buf, "  %x=%x\n", k, v)
					return nil
				})
			})
		})
		return buf.Bytes()
	}
	if da, db := dump(a), dump(b); !bytes.Equal(da, db) {
		t.Errorf("speculative and serial stores differ:\n%s\n---\n%s", da, db)
	}
}

// A run that walks a bucket it has written to cannot be answered from the
// snapshot: it runs in the commit instead, with the same result.
func TestSpeculationBailsOutToARealRun(t *testing.T) {
	bk := openBank(t, 3, 10)
	fn := func(tx domain.Tx) error {
		acc := kvOf(tx).Bucket(bankBucket).Bucket(accBucket)
		if err := acc.Put([]byte("a000"), put64(11)); err != nil {
			return err
		}
		var sum uint64
		_ = acc.ForEach(func(_, v []byte) error { sum += u64(v); return nil })
		return kvOf(tx).Bucket(bankBucket).Put(totalKey, put64(sum))
	}
	if err := bk.db.Speculate(fn, isRefused); err != nil {
		t.Fatal(err)
	}
	if st := bk.db.SpecStats(); st.Bailed != 1 {
		t.Errorf("stats %+v, want one bail-out", st)
	}
	_ = bk.db.bolt.View(func(tx *bolt.Tx) error {
		if got := u64(tx.Bucket(bankBucket).Get(totalKey)); got != 31 {
			t.Errorf("total %d, want 31 (the run's own write counted)", got)
		}
		return nil
	})
}

// A refusal on the snapshot changes nothing and never reaches the commit.
func TestSpeculationRefusalCostsARead(t *testing.T) {
	bk := openBank(t, 2, 5)
	before := dumpFile(t, bk.db)
	if err := bk.db.Speculate(bk.move(0, 1, 6), isRefused); !isRefused(err) {
		t.Fatalf("err %v, want the refusal", err)
	}
	if st := bk.db.SpecStats(); st != (SpecStats{Refused: 1}) {
		t.Errorf("stats %+v", st)
	}
	if after := dumpFile(t, bk.db); !bytes.Equal(before, after) {
		t.Error("a refusal changed the store")
	}
}

func dumpFile(t *testing.T, db *DB) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := db.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
