package store

import (
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/safeload/safeload/internal/domain"
)

// randomProposal makes a proposal with any of its fields set, each from
// the words, numbers and times records hold; fuzzRecord sets every field,
// those added later too.
func randomProposal(r *rand.Rand) *domain.Proposal {
	f := fuzzRecord{strs: [3]string{randomWord(r), randomWord(r), randomWord(r)}, n: r.Int64N(1 << 40),
		floats: [2]float64{float64(r.IntN(2000)) / 10, r.NormFloat64() * 100},
		secs:   [2]int64{1.7e9 + r.Int64N(2e8), 1.7e9 + r.Int64N(2e8)}, nsec: r.Int64N(3) * r.Int64N(1e9),
		zone: int32(r.IntN(3)-1) * 3600, zeroMask: r.Uint64()}
	p := new(domain.Proposal)
	f.fill(p)
	if r.IntN(3) == 0 {
		p.Kind, p.Status = domain.ProposeAllocate, domain.ProposalPending
	}
	return p
}

func decodeProposalOf(v []byte) (*domain.Proposal, error) { return decodeProposal(v) }

// A proposal decodes to exactly what json.Unmarshal makes of it, whether
// the quick path reads it or leaves it to json.Unmarshal, well formed or
// not.
func TestDecodeProposalAsJSON(t *testing.T) {
	asJSON(t, randomProposal, decodeProposalOf, func(v []byte) bool {
		var p domain.Proposal
		return (&recordReader{jsonReader: jsonReader{b: v}}).proposal(&p)
	}, "to")
	for _, v := range []string{
		``, `{}`, `null`, `{"id":1,"id":2}`, `{"ID":1}`, `{"id":-1}`, `{"id":1.5}`, `{"to":null}`,
		`{"override":null}`, `{"override":{}}`, `{"override":{"percent":1e400}}`, `{"before":"1"}`,
		`{"after":1e-7}`, `{"reminded":1}`, `{"reminded":false}`, `{"at":"2026-01-01"}`, `{"answered_at":""}`,
		`{"kind":"allocate","status":"pending"}`, `{"status":"Pending"}`, "{\"answer\":\"a\xff\"}",
		`{"reason":"a\u00e9"}`, `{"unknown":1}`,
	} {
		sameAsJSON(t, []byte(v), decodeProposalOf)
	}
}

// The proposals json.Marshal writes from fuzzed fields, and bytes that are
// not such proposals, decode as json.Unmarshal decodes them.
func FuzzDecodeProposal(f *testing.F) {
	r := rand.New(rand.NewPCG(11, 12))
	for range 20 {
		v, err := json.Marshal(randomProposal(r))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		sameAsJSON(t, v, decodeProposalOf)
	})
}

func BenchmarkDecodeProposal(b *testing.B) {
	v, err := json.Marshal(benchRecords()["Proposal"])
	if err != nil {
		b.Fatal(err)
	}
	b.Run("quick", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeProposal(v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var p domain.Proposal
			if err := json.Unmarshal(v, &p); err != nil {
				b.Fatal(err)
			}
		}
	})
}
