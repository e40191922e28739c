package main

import "context"

func (c *cli) runDigest(args []string) int { return c.notYet("digest") }

// schedulerFor builds the clocks and the weekly digest loop (nil: none yet).
// wake asks the outbox to deliver now.
func schedulerFor(a *app, wake func()) func(ctx context.Context) error { return nil }

// wireDigest gives the engine its digest builder (for /caseload digest).
func wireDigest(a *app) {}
