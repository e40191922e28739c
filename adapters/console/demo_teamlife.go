package console

// teamLifeSteps show what happens between meetings: a reduction agreed for
// a practitioner, the team's rules in plain words, and a caseload review in
// supervision that asks for its follow-up.
func teamLifeSteps(say func(name string, kv ...any), typeAs func(as, line string)) {
	say("demo.step.reduction")
	typeAs("meg", "/caseload reduction @cy 20 until=2027-03-31 practice educator for a social work student")
	say("demo.step.policy")
	typeAs("cy", "/caseload policy")
	say("demo.step.review")
	typeAs("meg", "/caseload review @alice reduce court reports on top of visits; agreed to move one case")
}
