package main

func (c *cli) runBackup(args []string) int { return c.notYet("backup") }
func (c *cli) runCheck(args []string) int  { return c.notYet("check") }
