package store

import (
	"time"

	"github.com/safeload/safeload/internal/domain"
)

// firingRecord is how a firing is kept in the state bucket (see clockKey).
type firingRecord struct {
	At  time.Time         `json:"at"`
	Due time.Time         `json:"due,omitzero"`
	To  []domain.PersonID `json:"to,omitempty"`
	Msg int               `json:"msgs,omitempty"`
}

func (r firingRecord) firing() domain.ClockFiring {
	return domain.ClockFiring{At: r.At, Due: r.Due, To: r.To, Msgs: r.Msg}
}

func recordOf(f domain.ClockFiring) firingRecord {
	return firingRecord{At: f.At.UTC(), Due: f.Due.UTC(), To: f.To, Msg: f.Msgs}
}

func (t *Tx) getFiring(key string) (domain.ClockFiring, bool, error) {
	var r firingRecord
	ok, err := t.GetState(key, &r)
	if err != nil || !ok {
		return domain.ClockFiring{}, false, err
	}
	return r.firing(), true, nil
}

// Fired is the recorded firing of a scheduler clock, false when it has not
// fired.
func (t *Tx) Fired(k domain.ClockKey) (domain.ClockFiring, bool, error) {
	key, err := clockKey(k)
	if err != nil {
		return domain.ClockFiring{}, false, err
	}
	return t.getFiring(key)
}

// MarkFired records a clock's firing.
func (t *Tx) MarkFired(k domain.ClockKey, f domain.ClockFiring) error {
	key, err := clockKey(k)
	if err != nil {
		return err
	}
	return t.PutState(key, recordOf(f))
}

// ClearFired forgets a clock's firing, so that it can fire again.
func (t *Tx) ClearFired(k domain.ClockKey) error {
	key, err := clockKey(k)
	if err != nil {
		return err
	}
	return t.DeleteState(key)
}

// DigestPosted is the record of a scheduled digest's posting, false when it
// was not posted.
func (t *Tx) DigestPosted(s domain.DigestSlot) (domain.ClockFiring, bool, error) {
	key, err := digestSlotKey(s)
	if err != nil {
		return domain.ClockFiring{}, false, err
	}
	return t.getFiring(key)
}

// MarkDigestPosted records a scheduled digest's posting.
func (t *Tx) MarkDigestPosted(s domain.DigestSlot, f domain.ClockFiring) error {
	key, err := digestSlotKey(s)
	if err != nil {
		return err
	}
	return t.PutState(key, recordOf(f))
}

// DigestsSince is when the digest schedule first ran on this store, zero
// before it did.
func (t *Tx) DigestsSince() (time.Time, error) {
	f, _, err := t.getFiring(keyDigestsSince)
	return f.At, err
}

// PutDigestsSince records when the digest schedule first ran.
func (t *Tx) PutDigestsSince(at time.Time) error {
	return t.PutState(keyDigestsSince, firingRecord{At: at.UTC()})
}

// LastDigest is when a digest last went out, zero before one did.
func (t *Tx) LastDigest() (time.Time, error) {
	var at time.Time
	_, err := t.GetState(keyLastDigest, &at)
	return at, err
}

// PutLastDigest records when a digest last went out.
func (t *Tx) PutLastDigest(at time.Time) error {
	return t.PutState(keyLastDigest, at.UTC())
}
