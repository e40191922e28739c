package etcdstore

import (
	"context"
	"math"
	"time"

	"go.etcd.io/etcd/client/v3/concurrency"
)

// Lead campaigns to be the deployment's one leader (an etcd election under
// the prefix, on a lease of ttl) until ctx ends, calling lead with a
// context that lives exactly while this replica leads. When the lease is
// lost (this replica cannot reach etcd for about ttl, or was killed) the
// context ends and another replica's campaign wins; this one campaigns
// again. id names the replica in the election.
func (s *Store) Lead(ctx context.Context, ttl time.Duration, id string, lead func(ctx context.Context)) {
	secs := max(1, int(math.Ceil(ttl.Seconds())))
	for ctx.Err() == nil {
		s.leadOnce(ctx, secs, id, lead)
		select {
		case <-ctx.Done():
		case <-time.After(ttl / 4):
		}
	}
}

func (s *Store) leadOnce(ctx context.Context, secs int, id string, lead func(ctx context.Context)) {
	sess, err := concurrency.NewSession(s.cli, concurrency.WithTTL(secs), concurrency.WithContext(ctx))
	if err != nil {
		return
	}
	defer sess.Close()
	// The campaign ends when the session does, so that a replica whose
	// lease expired while it waited does not believe it leads.
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-sess.Done():
			cancel()
		case <-cctx.Done():
		}
	}()
	el := concurrency.NewElection(sess, electionPrefix(s.prefix))
	if err := el.Campaign(cctx, id); err != nil {
		return
	}
	lead(cctx)
	if ctx.Err() != nil {
		// Stepping down on shutdown: hand over at once instead of after
		// the lease runs out.
		rctx, rcancel := context.WithTimeout(context.Background(), min(s.timeout, time.Second))
		_ = el.Resign(rctx)
		rcancel()
	}
}
