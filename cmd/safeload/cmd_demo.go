package main

func (c *cli) runDemo(args []string) int    { return c.notYet("demo") }
func (c *cli) runConsole(args []string) int { return c.notYet("console") }
