package slack

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/safeload/safeload/adapters/slack/fakeslack"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
	"github.com/safeload/safeload/prompts"
)

// answerBody is the immediate answer's bytes of a slash command typed in
// channel, as Slack receives them from the harness's adapter.
func (h *harness) answerBody(t *testing.T, channel string, as domain.PersonID, command, text string) []byte {
	t.Helper()
	form := fakeslack.Form(map[string]string{
		"team_id": testTeam, "channel_id": channel, "user_id": userID(as), "user_name": displayName(as),
		"command": "/" + command, "text": text, "response_url": h.fake.ResponseURL(), "api_app_id": "A0SAFE",
	})
	r := httptest.NewRequest(http.MethodPost, "/slack/commands", bytes.NewReader(form))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range fakeslack.SignedHeaders(testSecret, h.clock.Now(), form) {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ad.CommandsHandler().ServeHTTP(w, r) // the adapter of now, restarted or not
	h.ad.Wait()
	if w.Code != http.StatusOK || w.Body.Len() == 0 {
		t.Fatalf("/%s %s: status %d, body %q", command, text, w.Code, w.Body.String())
	}
	return w.Body.Bytes()
}

// freshBoard is the board's immediate answer rendered now, from the
// engine's answer, by a renderer and a marshaller that keep nothing.
func (h *harness) freshBoard(t *testing.T, channel string, as domain.PersonID) []byte {
	t.Helper()
	resp := h.eng.Handle(context.Background(), engine.Request{Platform: "slack", Channel: domain.ChannelID("slack:" + channel),
		Caller: as, Command: "caseload", Text: "board"})
	if resp.Code != "" || len(resp.Messages) != 1 {
		t.Fatalf("board: %s %+v", resp.Code, resp.Messages)
	}
	outs := renderer{p: prompts.MustLoad()}.render(resp.Messages[0])
	js := ackJSON(outs[0].webhook())
	if js == nil {
		t.Fatal("the board is too large for an immediate answer")
	}
	return js
}

// A board answered from the render cache is byte for byte the board
// rendered afresh: on a repeat, after a commit that changes it, on a new
// day, for another team, and after a restart of the adapter; and a repeat
// at the same state is served from the cache.
func TestBoardAnswerCacheIsExact(t *testing.T) {
	h := newHarness(t)
	admin, meg, alice, bob := h.Person("admin"), h.Person("meg"), h.Person("alice"), h.Person("bob")
	const south = "CSOUTH"
	for _, s := range [][4]string{
		{testChannel, string(admin), "caseload", "setup North"},
		{testChannel, string(admin), "caseload", "add " + h.Mention(meg) + " manager"},
		{testChannel, string(admin), "caseload", "add " + h.Mention(alice) + " practitioner"},
		{south, string(admin), "caseload", "setup South"},
		{south, string(admin), "caseload", "add " + h.Mention(bob) + " manager"},
	} {
		h.answerBody(t, s[0], domain.PersonID(s[1]), s[2], s[3])
	}
	board := func(channel string, as domain.PersonID, wantHit bool) []byte {
		t.Helper()
		before := h.ad.views.hits.Load()
		got := h.answerBody(t, channel, as, "caseload", "board")
		if hit := h.ad.views.hits.Load() > before; hit != wantHit {
			t.Fatalf("board in %s: served from the cache %v, want %v", channel, hit, wantHit)
		}
		if want := h.freshBoard(t, channel, as); !bytes.Equal(got, want) {
			t.Fatalf("board in %s: answered\n%s\nrendered afresh\n%s", channel, got, want)
		}
		return got
	}

	first := board(testChannel, meg, false)
	if again := board(testChannel, alice, true); !bytes.Equal(again, first) {
		t.Fatal("the same board differs between two members")
	}
	southBoard := board(south, bob, false)
	if bytes.Equal(southBoard, first) {
		t.Fatal("two teams' boards are the same bytes")
	}
	board(testChannel, meg, true)

	// A commit that changes the board: the next board is rendered afresh.
	for _, s := range []string{"case add C-1 cp", "case add C-2 cin"} {
		h.answerBody(t, testChannel, meg, "caseload", s)
	}
	h.answerBody(t, testChannel, meg, "allocate", "C-1 "+h.Mention(alice))
	h.answerBody(t, testChannel, alice, "allocate", "accept C-1")
	changed := board(testChannel, meg, false)
	if bytes.Equal(changed, first) || !strings.Contains(string(changed), "Alice") {
		t.Fatalf("the board did not change with the allocation:\n%s", changed)
	}
	board(testChannel, alice, true)
	board(south, bob, true) // the other team's entry is untouched

	// A new day: whatever the engine says for it is what is sent.
	h.clock.Advance(49 * time.Hour)
	board(testChannel, meg, bytes.Equal(h.freshBoard(t, testChannel, meg), changed))
	board(testChannel, meg, true)

	// A restart: a new adapter keeps nothing and answers the same bytes.
	cfg := h.ad.cfg
	restarted, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := board(testChannel, meg, true)
	h.ad = restarted
	if got := board(testChannel, meg, false); !bytes.Equal(got, want) {
		t.Fatal("the restarted adapter answers other bytes")
	}
}

// sameMessage compares every field of a message: a change to any one of
// them is a different message (and a new field must be added to it).
func TestSameMessageSeesEveryField(t *testing.T) {
	if n := reflect.TypeFor[domain.Message]().NumField(); n != 11 {
		t.Fatalf("domain.Message has %d fields: sameMessage and copyMessages must cover the new ones", n)
	}
	if n := reflect.TypeFor[domain.Section]().NumField(); n != 2 {
		t.Fatalf("domain.Section has %d fields: sameMessage must cover the new ones", n)
	}
	base := func() domain.Message {
		return domain.Message{Audience: domain.ToChannel, To: "x", Title: "t", Text: "b", RAG: domain.Green, Footer: "f",
			Fields:   []domain.Field{{Name: "n", Value: "v"}},
			Sections: []domain.Section{{Title: "s", Lines: []domain.Line{{Text: "l", RAG: domain.Red}}}},
			Buttons:  []domain.Button{{Label: "B", ActionID: "a", Style: domain.ButtonPrimary, For: "p"}}}
	}
	if !sameMessage(base(), base()) {
		t.Fatal("a message differs from its copy")
	}
	for name, change := range map[string]func(*domain.Message){
		"audience":     func(m *domain.Message) { m.Audience = domain.ToCaller },
		"to":           func(m *domain.Message) { m.To = "y" },
		"title":        func(m *domain.Message) { m.Title = "T" },
		"text":         func(m *domain.Message) { m.Text = "B" },
		"rag":          func(m *domain.Message) { m.RAG = domain.Amber },
		"replace":      func(m *domain.Message) { m.Replace = true },
		"footer":       func(m *domain.Message) { m.Footer = "F" },
		"image":        func(m *domain.Message) { m.Image = &domain.Image{Name: "a.png"} },
		"field name":   func(m *domain.Message) { m.Fields[0].Name = "N" },
		"field value":  func(m *domain.Message) { m.Fields[0].Value = "V" },
		"fields":       func(m *domain.Message) { m.Fields = append(m.Fields, domain.Field{}) },
		"section":      func(m *domain.Message) { m.Sections[0].Title = "S" },
		"sections":     func(m *domain.Message) { m.Sections = append(m.Sections, domain.Section{}) },
		"line text":    func(m *domain.Message) { m.Sections[0].Lines[0].Text = "L" },
		"line rag":     func(m *domain.Message) { m.Sections[0].Lines[0].RAG = domain.Green },
		"lines":        func(m *domain.Message) { m.Sections[0].Lines = nil },
		"button label": func(m *domain.Message) { m.Buttons[0].Label = "b" },
		"button id":    func(m *domain.Message) { m.Buttons[0].ActionID = "A" },
		"button style": func(m *domain.Message) { m.Buttons[0].Style = domain.ButtonDanger },
		"button for":   func(m *domain.Message) { m.Buttons[0].For = "q" },
		"buttons":      func(m *domain.Message) { m.Buttons = nil },
	} {
		m := base()
		change(&m)
		if sameMessage(base(), m) || sameMessage(m, base()) {
			t.Errorf("a change of %s is not seen", name)
		}
	}
	// What is kept is a copy: changing the engine's message afterwards
	// does not change the kept one.
	m := []domain.Message{base()}
	kept := copyMessages(m)
	m[0].Sections[0].Lines[0].Text = "changed"
	m[0].Fields[0].Value = "changed"
	m[0].Buttons[0].Label = "changed"
	if sameMessages(kept, m) || !sameMessages(kept, []domain.Message{base()}) {
		t.Fatal("the kept messages share the engine's slices")
	}
}

// Many members reading the board at once all get the same bytes, from one
// kept answer that none of them changes.
func TestBoardCacheSharedByConcurrentReads(t *testing.T) {
	h := newHarness(t)
	admin, meg := h.Person("admin"), h.Person("meg")
	h.answerBody(t, testChannel, admin, "caseload", "setup North")
	h.answerBody(t, testChannel, admin, "caseload", "add "+h.Mention(meg)+" manager")
	want := h.freshBoard(t, testChannel, meg)
	handler := h.ad.CommandsHandler()
	const readers, reads = 8, 25
	bodies := make(chan []byte, readers*reads)
	var wg sync.WaitGroup
	for i := 0; i < readers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < reads; j++ {
				form := fakeslack.Form(map[string]string{"team_id": testTeam, "channel_id": testChannel, "user_id": userID(meg),
					"command": "/caseload", "text": "board", "trigger_id": fmt.Sprintf("%d.%d.board", i, j)})
				r := httptest.NewRequest(http.MethodPost, "/slack/commands", bytes.NewReader(form))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				for k, v := range fakeslack.SignedHeaders(testSecret, h.clock.Now(), form) {
					r.Header.Set(k, v)
				}
				w := httptest.NewRecorder()
				handler.ServeHTTP(w, r)
				bodies <- w.Body.Bytes()
			}
		}()
	}
	wg.Wait()
	h.ad.Wait()
	close(bodies)
	n := 0
	for b := range bodies {
		if n++; !bytes.Equal(b, want) {
			t.Fatalf("a concurrent read got\n%s\nwant\n%s", b, want)
		}
	}
	if n != readers*reads || h.ad.views.hits.Load() == 0 {
		t.Fatalf("%d answers, %d from the cache", n, h.ad.views.hits.Load())
	}
}
