package main

func (c *cli) runSlack(args []string) int { return c.notYet("slack") }
