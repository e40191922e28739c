package main

func (c *cli) runImport(args []string) int { return c.notYet("import") }
func (c *cli) runExport(args []string) int { return c.notYet("export") }
