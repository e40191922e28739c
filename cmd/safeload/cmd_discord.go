package main

func (c *cli) runDiscord(args []string) int { return c.notYet("discord") }
