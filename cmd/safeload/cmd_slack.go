package main

func (c *cli) runSlack(args []string) int { return c.notYet("slack") }

// slackPlatform builds the Slack adapter when it is configured (nil otherwise).
func slackPlatform(a *app) (*platform, error) { return nil, nil }
