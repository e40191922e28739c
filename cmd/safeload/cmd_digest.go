package main

func (c *cli) runDigest(args []string) int { return c.notYet("digest") }
