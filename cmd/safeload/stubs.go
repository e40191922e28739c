package main

// Placeholders for sub-commands not built yet. Each moves to its own file.

func (c *cli) notYet(name string) int {
	return c.fail(exitFailed, "%s is not available in this build yet", name)
}

func (c *cli) runDemo(args []string) int    { return c.notYet("demo") }
func (c *cli) runConsole(args []string) int { return c.notYet("console") }
func (c *cli) runServe(args []string) int   { return c.notYet("serve") }
func (c *cli) runDigest(args []string) int  { return c.notYet("digest") }
func (c *cli) runImport(args []string) int  { return c.notYet("import") }
func (c *cli) runExport(args []string) int  { return c.notYet("export") }
func (c *cli) runBackup(args []string) int  { return c.notYet("backup") }
func (c *cli) runCheck(args []string) int   { return c.notYet("check") }
func (c *cli) runDiscord(args []string) int { return c.notYet("discord") }
func (c *cli) runSlack(args []string) int   { return c.notYet("slack") }
