package teams

import (
	"sync"

	"github.com/safeload/safeload/internal/domain"
)

// refs remembers where each person and channel can be reached, in the store
// (so a restart keeps it) and in memory (so a busy channel does not write
// on every message).
type refs struct {
	st    domain.Store
	mu    sync.Mutex
	cache map[string]domain.ConversationRef
}

// get is the reference of a person or channel ID ("teams:…"); ok is false
// when it was never seen.
func (r *refs) get(id string) (domain.ConversationRef, bool, error) {
	r.mu.Lock()
	ref, ok := r.cache[id]
	r.mu.Unlock()
	if ok {
		return ref, true, nil
	}
	var got *domain.ConversationRef
	err := r.st.View(func(tx domain.Tx) error {
		var err error
		got, err = tx.ConversationRef(id)
		return err
	})
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return domain.ConversationRef{}, false, nil
	}
	if err != nil {
		return domain.ConversationRef{}, false, err
	}
	r.mu.Lock()
	r.cache[id] = *got
	r.mu.Unlock()
	return *got, true, nil
}

// remember stores what an activity shows of a person or channel, when it
// adds something: a first sighting, a new service URL or tenant, a name, or
// a 1:1 chat. A 1:1 chat already known is kept when the person is next seen
// in a channel.
func (r *refs) remember(id string, seen domain.ConversationRef) error {
	old, ok, err := r.get(id)
	if err != nil {
		return err
	}
	next := seen
	if ok {
		if next.Conversation == "" {
			next.Conversation = old.Conversation
		}
		if next.Name == "" {
			next.Name = old.Name
		}
		if next.Tenant == "" {
			next.Tenant = old.Tenant
		}
		if next.ServiceURL == old.ServiceURL && next.Conversation == old.Conversation &&
			next.Tenant == old.Tenant && next.Name == old.Name {
			return nil
		}
	}
	err = r.st.Update(func(tx domain.Tx) error {
		next.SeenAt = tx.Now()
		return tx.PutConversationRef(id, &next)
	})
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.cache[id] = next
	r.mu.Unlock()
	return nil
}

// forget drops a 1:1 chat that the Bot Connector no longer knows, so the
// next message opens a new one.
func (r *refs) forgetChat(id string) error {
	old, ok, err := r.get(id)
	if err != nil || !ok || old.Conversation == "" {
		return err
	}
	old.Conversation = ""
	err = r.st.Update(func(tx domain.Tx) error {
		return tx.PutConversationRef(id, &old)
	})
	if err == nil {
		r.mu.Lock()
		r.cache[id] = old
		r.mu.Unlock()
	}
	return err
}
