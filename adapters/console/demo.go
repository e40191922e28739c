package console

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
)

// DemoEnv is what the demo needs from the wiring: the console to type into,
// a way to seed quietly, and the clock and scheduler to show time passing.
type DemoEnv struct {
	Console *Console
	// Seed runs a command without showing it (setting the scene).
	Seed func(ctx context.Context, req engine.Request) engine.Response
	// Advance moves the demo's clock forward.
	Advance func(d time.Duration)
	// Tick runs the scheduler's clocks once at the current time (may be nil).
	Tick func(ctx context.Context) error
	// Digest posts the weekly digest of the demo team now (may be nil).
	Digest func(ctx context.Context) error
}

// Demo IDs: everyone lives on the console platform.
const demoChannel = domain.ChannelID("console:#north-cin")

func demoPerson(name string) domain.PersonID { return domain.PersonID("console:" + name) }

// DemoAdmin is the demo's bootstrap admin.
var DemoAdmin = demoPerson("admin")

// DemoNames are the display names of the demo's people.
var DemoNames = map[domain.PersonID]string{
	demoPerson("admin"): "Ada (admin)", demoPerson("meg"): "Meg Moss", demoPerson("sara"): "Sara Shah",
	demoPerson("alice"): "Alice Adams", demoPerson("bo"): "Bo Brown", demoPerson("cy"): "Cy Cole",
	demoPerson("stu"): "Stu Stone",
}

// RunDemo plays a whole allocation meeting: the queue with suggestions, a
// proposal that needs an override, a decline with a reason, an accept, a
// capacity concern, its escalation and acknowledgement, the board and the
// digest. It returns an error only if the scene could not be set.
func RunDemo(ctx context.Context, env DemoEnv) error {
	c := env.Console
	c.Channel = demoChannel
	seed := func(as, command, text string) error {
		resp := env.Seed(ctx, engine.Request{Platform: Platform, Channel: demoChannel, Caller: demoPerson(as), Command: command, Text: text})
		if resp.Code != "" {
			var b strings.Builder
			for _, m := range resp.Messages {
				b.WriteString(m.Text)
			}
			return fmt.Errorf("demo seed /%s %s: %s", command, text, b.String())
		}
		return nil
	}
	mention := func(name string) string {
		return fmt.Sprintf("<@%s|%s>", demoPerson(name), DemoNames[demoPerson(name)])
	}
	steps := [][3]string{
		{"admin", "caseload", "setup North Child in Need"},
		{"admin", "caseload", "add " + mention("meg") + " manager"},
		{"admin", "caseload", "service-manager " + mention("sara")},
		{"meg", "caseload", "add " + mention("alice") + " practitioner"},
		{"meg", "caseload", "add " + mention("bo") + " asye"},
		{"meg", "caseload", "add " + mention("cy") + " practitioner fte=0.6"},
		{"meg", "caseload", "add " + mention("stu") + " student"},
	}
	held := map[string][]string{
		"alice": {"C-1001 proceedings court", "C-1002 cp court rural", "C-1003 cp children=3", "C-1004 cp court", "C-1005 lac", "C-1006 lac", "C-1007 cin", "C-1008 cin", "C-1009 cin", "C-1010 care_leaver"},
		"bo": {"C-1011 cin", "C-1012 cin", "C-1013 assessment", "C-1014 care_leaver", "C-1018 care_leaver", "C-1019 care_leaver",
			"C-1020 care_leaver", "C-1021 care_leaver", "C-1022 care_leaver", "C-1023 care_leaver", "C-1024 care_leaver", "C-1025 care_leaver", "C-1026 care_leaver"},
		"cy": {"C-1015 cp", "C-1016 cin", "C-1017 lac"},
	}
	for _, s := range steps {
		if err := seed(s[0], s[1], s[2]); err != nil {
			return err
		}
	}
	for _, who := range []string{"alice", "bo", "cy"} {
		for _, spec := range held[who] {
			ref := strings.Fields(spec)[0]
			if err := seed("meg", "caseload", "case add "+spec); err != nil {
				return err
			}
			if err := seed("meg", "allocate", ref+" "+mention(who)+" override review=4w demo history"); err != nil {
				return err
			}
			if err := seed(who, "allocate", "accept "+ref); err != nil {
				return err
			}
		}
	}
	for _, spec := range []string{"C-2001 cp court high_risk children=2", "C-2002 cin rural", "C-2003 proceedings court"} {
		if err := seed("meg", "caseload", "case add "+spec); err != nil {
			return err
		}
	}
	if env.Advance != nil {
		env.Advance(30 * time.Minute)
	}

	say := func(name string, kv ...any) {
		d := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			d[kv[i].(string)] = kv[i+1]
		}
		fmt.Fprintf(c.Out, "\n%s\n", c.Prompts.Say(name, d))
	}
	typeAs := func(as, line string) {
		if env.Advance != nil {
			env.Advance(2 * time.Minute)
		}
		c.As = demoPerson(as)
		fmt.Fprintf(c.Out, "\n%s> %s\n", c.who(c.As), line)
		c.Line(ctx, line)
	}
	press := func(as, label string) {
		c.mu.Lock()
		n := 0
		for i := c.next; i > 0; i-- {
			if c.buttons[i].label == label {
				n = i
				break
			}
		}
		c.mu.Unlock()
		typeAs(as, fmt.Sprint(n))
	}

	say("demo.intro")
	say("demo.step.queue")
	typeAs("meg", "/allocate")
	say("demo.step.override_needed")
	typeAs("meg", "/allocate C-2003 @alice")
	say("demo.step.override")
	typeAs("meg", "/allocate C-2003 @alice override review=4w she led the last proceedings for this family")
	say("demo.step.decline")
	press("alice", "Decline")
	typeAs("alice", "/allocate decline C-2003 I am in court on C-1001 all next week and cannot take on new proceedings")
	say("demo.step.student")
	typeAs("meg", "/allocate C-2003 @stu")
	say("demo.step.asye")
	typeAs("meg", "/allocate C-2001 @bo")
	say("demo.step.accept")
	typeAs("meg", "/allocate C-2001 @cy")
	press("cy", "Accept")
	typeAs("meg", "/allocate C-2003 @cy")
	press("cy", "Accept")
	say("demo.step.count")
	typeAs("meg", "/allocate C-2002 @bo")
	typeAs("meg", "/allocate C-2002 @bo override review=2w a short piece of work with a family he already knows; it closes next week")
	press("bo", "Accept")
	say("demo.step.minutes")
	typeAs("meg", "/allocate done")
	say("demo.step.concern")
	typeAs("alice", "/capacity")
	typeAs("alice", "/capacity concern Three court reports are due this month and I can't do them well on top of my visits.")
	// Later that week, urgent proceedings arrive and are allocated above
	// the safe level: the team as a whole goes over its capacity.
	for _, s := range [][2]string{{"C-2004 proceedings court high_risk", "alice"}, {"C-2005 proceedings court", "cy"}} {
		ref := strings.Fields(s[0])[0]
		if err := seed("meg", "caseload", "case add "+s[0]); err != nil {
			return err
		}
		if err := seed("meg", "allocate", ref+" "+mention(s[1])+" override review=2w urgent proceedings, no one else free"); err != nil {
			return err
		}
		if err := seed(s[1], "allocate", "accept "+ref); err != nil {
			return err
		}
	}
	if c.Flush != nil {
		c.Flush(ctx) // whatever the seeds told anyone, before the story goes on
	}
	say("demo.step.later")
	if env.Advance != nil && env.Tick != nil {
		say("demo.step.escalation")
		env.Advance(50 * time.Hour)
		if err := env.Tick(ctx); err != nil {
			return err
		}
		if c.Flush != nil {
			c.Flush(ctx)
		}
	}
	say("demo.step.ack")
	press("sara", "Acknowledge")
	typeAs("meg", "/capacity plan 1 C-1010 moves to Bo; no new cases for Alice for four weeks; Meg covers the next court report")
	typeAs("alice", "/capacity agree 1")
	typeAs("alice", "/capacity hours 3 finishing the C-1001 court statement")
	say("demo.step.board")
	typeAs("meg", "/caseload board")
	say("demo.step.digest")
	if env.Digest != nil {
		if err := env.Digest(ctx); err != nil {
			return err
		}
		if c.Flush != nil {
			c.Flush(ctx)
		}
	} else {
		typeAs("meg", "/caseload digest")
	}
	teamLifeSteps(say, typeAs)
	say("demo.end")
	return nil
}
