package store

import (
	"github.com/safeload/safeload/internal/domain"
)

// decodeProposal decodes a stored proposal as decodeCase does a case: the
// JSON json.Marshal writes of a domain.Proposal directly, anything else
// through json.Unmarshal, so the result and the error are always its.
// Every answer to a proposal, and every allocation, reads one.
func decodeProposal(v []byte) (*domain.Proposal, error) {
	return quickDecode(v, "", (*recordReader).proposal)
}

// proposalWords are the proposals' kinds and statuses, shared rather than
// copied.
var proposalWords = func() map[string]string {
	m := map[string]string{}
	for _, w := range []string{string(domain.ProposeAllocate), string(domain.ProposeTransfer),
		string(domain.ProposalPending), string(domain.ProposalAccepted), string(domain.ProposalDeclined),
		string(domain.ProposalWithdrawn)} {
		m[w] = w
	}
	return m
}()

// proposalWord returns the known word equal to s, or a copy of s.
func proposalWord(s []byte) string {
	if w, ok := proposalWords[string(s)]; ok {
		return w
	}
	return string(s)
}

func (r *recordReader) proposal(p *domain.Proposal) bool {
	ok := r.object(func(key []byte) (uint32, bool) {
		var (
			s  []byte
			ok bool
		)
		person := func() (domain.PersonID, bool) {
			s, ok := r.bytes()
			return domain.PersonID(s), ok
		}
		switch string(key) {
		case "id":
			p.ID, ok = r.uint64()
			return 1 << 0, ok
		case "team":
			p.Team, ok = r.str()
			return 1 << 1, ok
		case "ref":
			p.Ref, ok = r.str()
			return 1 << 2, ok
		case "kind":
			s, ok = r.bytes()
			p.Kind = domain.ProposalKind(proposalWord(s))
			return 1 << 3, ok
		case "to":
			p.To, ok = person()
			return 1 << 4, ok
		case "from":
			p.From, ok = person()
			return 1 << 5, ok
		case "by":
			p.By, ok = person()
			return 1 << 6, ok
		case "at":
			return 1 << 7, r.time(&p.At)
		case "reason":
			p.Reason, ok = r.str()
			return 1 << 8, ok
		case "override":
			p.Override = new(domain.Override)
			return 1 << 9, r.override(p.Override)
		case "before":
			p.Before, ok = r.float64()
			return 1 << 10, ok
		case "after":
			p.After, ok = r.float64()
			return 1 << 11, ok
		case "status":
			s, ok = r.bytes()
			p.Status = domain.ProposalStatus(proposalWord(s))
			return 1 << 12, ok
		case "answered_at":
			return 1 << 13, r.time(&p.AnsweredAt)
		case "answered_by":
			p.AnsweredBy, ok = person()
			return 1 << 14, ok
		case "answer":
			p.Answer, ok = r.str()
			return 1 << 15, ok
		case "reminded":
			p.Reminded, ok = r.bool()
			return 1 << 16, ok
		}
		return 0, false
	})
	return ok && r.end()
}
