package main

func (c *cli) runDiscord(args []string) int { return c.notYet("discord") }

// discordPlatform builds the Discord adapter when it is configured (nil otherwise).
func discordPlatform(a *app) (*platform, error) { return nil, nil }
