package teams

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/safeload/safeload/internal/domain"
)

func TestRequest(t *testing.T) {
	bot := &Account{ID: botID, Name: "safeload"}
	botAt := Entity{Type: "mention", Text: "<at>safeload</at>", Mentioned: bot}
	alice := Entity{Type: "mention", Text: "<at>Alice Adams</at>", Mentioned: &Account{ID: "29:1alice", Name: "Alice Adams"}}
	bo := Entity{Type: "mention", Text: "<at>Bo</at>", Mentioned: &Account{ID: "29:1bo", Name: "Bo"}}
	tests := []struct {
		name, text    string
		entities      []Entity
		command, args string
	}{
		{"channel, bot mentioned", "<at>safeload</at> allocate C-2 <at>Alice Adams</at>", []Entity{botAt, alice}, "allocate", "C-2 <@teams:29:1alice|Alice Adams>"},
		{"with a slash", "/capacity", nil, "capacity", ""},
		{"capitals and a slash after the bot", "<at>safeload</at> /Capacity concern too much", []Entity{botAt}, "capacity", "concern too much"},
		{"setup is caseload setup", "<at>safeload</at> setup North CIN", []Entity{botAt}, "caseload", "setup North CIN"},
		{"HTML from the Teams client", "<p><at>safeload</at>&nbsp;caseload add <at>Bo</at> asye fte=0.8</p>\n", []Entity{botAt, bo}, "caseload", "add <@teams:29:1bo|Bo> asye fte=0.8"},
		{"entities unescaped", "capacity concern caseload &gt; 100 &amp; rising", nil, "capacity", "concern caseload > 100 & rising"},
		{"two mentions of people", "allocate transfer C-9 <at>Bo</at> Alice is off, <at>Alice Adams</at> agreed", []Entity{bo, alice}, "allocate", "transfer C-9 <@teams:29:1bo|Bo> Alice is off, <@teams:29:1alice|Alice Adams> agreed"},
		{"bot mentioned last", "capacity <at>safeload</at>", []Entity{botAt}, "capacity", ""},
		{"an unknown word goes to the engine, which says what it knows", "hello there", nil, "hello", "there"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			act := &Activity{Type: "message", ID: "1", Text: tt.text, Entities: tt.entities, Recipient: bot,
				From: &Account{ID: "29:1alice", Name: "Meg"}, Conversation: &Conversation{ID: testChannel + ";messageid=17", ConversationType: "channel"},
				ChannelData: &ChannelData{Channel: &IDRef{ID: testChannel}}}
			req, ok := request(act)
			if !ok {
				t.Fatal("not a request")
			}
			if req.Command != tt.command || req.Text != tt.args {
				t.Fatalf("got %q %q, want %q %q", req.Command, req.Text, tt.command, tt.args)
			}
			if req.Channel != "teams:"+testChannel || req.Caller != "teams:29:1alice" || req.CallerName != "Meg" || req.Platform != "teams" {
				t.Fatalf("request: %+v", req)
			}
		})
	}

	// A press carries the action in its value, whatever the text.
	act := &Activity{Type: "message", From: &Account{ID: "29:1alice"}, Conversation: &Conversation{ID: "a:chat", ConversationType: "personal"},
		Value: json.RawMessage(`{"action":"accept:17"}`)}
	if req, ok := request(act); !ok || req.Action != "accept:17" || req.Command != "" || req.Channel != "teams:a:chat" {
		t.Fatalf("press: %+v %v", req, ok)
	}
	// Nothing typed, nothing pressed: nothing to ask.
	act = &Activity{Type: "message", Text: "<at>safeload</at>", Entities: []Entity{botAt}, Recipient: bot,
		From: &Account{ID: "29:1alice"}, Conversation: &Conversation{ID: "19:x@thread.tacv2"}}
	if _, ok := request(act); ok {
		t.Fatal("a bare mention is no request")
	}
}

func FuzzCommandText(f *testing.F) {
	f.Add("<at>safeload</at> allocate C-2 <at>Alice Adams</at>", "<at>Alice Adams</at>")
	f.Add("<p>&nbsp;\x00caseload</p>", "<at>x</at>")
	f.Fuzz(func(t *testing.T, text, mention string) {
		act := &Activity{Text: text, Recipient: &Account{ID: botID},
			Entities: []Entity{{Type: "mention", Text: mention, Mentioned: &Account{ID: "29:1x", Name: mention}}}}
		_ = commandText(act) // must not panic
	})
}

// TestPersonalChat: in the 1:1 chat people type without the @mention, with
// or without a slash, and the answers stay in that chat.
func TestPersonalChat(t *testing.T) {
	h := newHarness(t)
	admin, alice := h.Person("admin"), h.Person("alice")
	h.Command(t, admin, "caseload", "setup North CIN")
	h.Command(t, admin, "caseload", "add "+h.Mention(alice)+" practitioner")
	h.skipBot = true
	for _, typed := range []string{"capacity", "/capacity"} {
		out := h.Command(t, alice, typed, "")
		if len(out) != 1 || !out[0].Private || out[0].To != string(alice) {
			t.Fatalf("%s in the 1:1 chat: %+v", typed, out)
		}
		if !out[0].Has("Your workload", "0.0 %") {
			t.Fatalf("%s: %s", typed, out[0].Text)
		}
	}
	// The 1:1 chat the person typed in is the one used, not a new one.
	for _, c := range h.fake.Calls() {
		if c.Kind == "create" && c.Member == userID(alice) {
			t.Fatal("a 1:1 chat was created although the person wrote in theirs")
		}
	}
	// And it is remembered for later messages.
	ref, ok, err := h.ad.refs.get(string(alice))
	if err != nil || !ok || ref.Conversation != h.fake.Chat(userID(alice)) || ref.ServiceURL != h.fake.ServiceURL() || ref.Tenant != testTenant {
		t.Fatalf("alice's reference: %+v %v %v", ref, ok, err)
	}
	ch, ok, err := h.ad.refs.get("teams:" + testChannel)
	if err != nil || !ok || ch.Conversation != testChannel || ch.Name != "General" {
		t.Fatalf("the channel's reference: %+v %v %v", ch, ok, err)
	}
}

// TestConversationUpdate: the bot added to a team is answered 200 and the
// channel is remembered, so a digest can reach it before anyone speaks.
func TestConversationUpdate(t *testing.T) {
	h := newHarness(t)
	act := h.activity(h.Person("admin"), "", false)
	act.Type, act.Text, act.Entities = "conversationUpdate", "", nil
	act.MembersAdded = []Account{{ID: botID}}
	if code := h.send(t, act, ""); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	if len(h.fake.Calls()) != 0 {
		t.Fatal("nothing is said when the bot is added")
	}
	if _, ok, _ := h.ad.refs.get("teams:" + testChannel); !ok {
		t.Fatal("the channel is not remembered")
	}
	if err := h.ad.Send(t.Context(), "teams:"+testChannel, domain.Message{Audience: domain.ToChannel, Text: "Digest"}); err != nil {
		t.Fatal(err)
	}
	calls := h.fake.Calls()
	if len(calls) != 1 || calls[0].Conversation != testChannel {
		t.Fatalf("calls: %+v", calls)
	}
}

// TestUnknownWord: a message that names no command is answered privately
// with what the bot knows, and how to write it in Teams.
func TestUnknownWord(t *testing.T) {
	h := newHarness(t)
	out := h.Command(t, h.Person("eve"), "hello", "there")
	if len(out) != 1 || !out[0].Private || !out[0].Has("three commands", "@safeload") {
		t.Fatalf("%+v", out)
	}
}
