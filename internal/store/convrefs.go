package store

import (
	"errors"

	"github.com/safeload/safeload/internal/domain"
)

// ---- conversation references ----

// ConversationRef is where a person or channel can be reached later (a
// platform like Teams needs more than the ID), ENOTFOUND before either was
// first seen.
func (t *Tx) ConversationRef(id string) (*domain.ConversationRef, error) {
	b := t.tx.Bucket(bucketConvRefs)
	if b == nil { // a store opened read-only from before the bucket existed
		return nil, notFound("no conversation reference for %s", id)
	}
	v := b.Get([]byte(id))
	if v == nil {
		return nil, notFound("no conversation reference for %s", id)
	}
	var r domain.ConversationRef
	return &r, decode(v, &r)
}

// PutConversationRef keeps where a person or channel can be reached.
func (t *Tx) PutConversationRef(id string, r *domain.ConversationRef) error {
	if id == "" || r == nil || r.ServiceURL == "" {
		return errors.New("a conversation reference needs an ID and a service URL")
	}
	return t.put(t.tx.Bucket(bucketConvRefs), []byte(id), r)
}
