package main

func (c *cli) runServe(args []string) int { return c.notYet("serve") }
