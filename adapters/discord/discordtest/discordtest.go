// Package discordtest is a fake Discord for tests: a REST API over real HTTP
// that records what the bot sent (channel posts, DMs, interaction
// callbacks, follow-ups and edits, command registrations) and can be told
// to fail; and helpers to sign and build interactions as Discord sends them.
//
// It must not be imported by non-test code.
package discordtest

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Payload is a message as the bot sent it (a post, a follow-up, an edit, or
// the data of an interaction response).
type Payload struct {
	Content    string  `json:"content"`
	Embeds     []Embed `json:"embeds"`
	Components []Row   `json:"components"`
	Flags      int     `json:"flags"`
	// AllowedMentions as sent, for checks that @everyone cannot ping.
	AllowedMentions *struct {
		Parse []string `json:"parse"`
	} `json:"allowed_mentions"`
	// Attachments describe the files sent with the message (their alt
	// text is the description).
	Attachments []Attachment `json:"attachments"`
}

// Attachment is a file's entry in a message's payload.
type Attachment struct {
	ID          json.RawMessage `json:"id"`
	Filename    string          `json:"filename"`
	Description string          `json:"description"`
}

// File is a file sent with a message (multipart/form-data, files[n]).
type File struct {
	Field, Name, ContentType string
	Data                     []byte
}

// Ephemeral is the flag of a message only its caller sees.
const Ephemeral = 64

// Embed is a rich embed.
type Embed struct {
	Title       string  `json:"title"`
	Description string  `json:"description"`
	Color       int     `json:"color"`
	Fields      []Field `json:"fields"`
	Footer      *struct {
		Text string `json:"text"`
	} `json:"footer"`
	Image *struct {
		URL string `json:"url"`
	} `json:"image"`
}

// Field is an embed field.
type Field struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Inline bool   `json:"inline"`
}

// Row is an action row.
type Row struct {
	Type       int      `json:"type"`
	Components []Button `json:"components"`
}

// Button is a button component.
type Button struct {
	Type     int    `json:"type"`
	Label    string `json:"label"`
	Style    int    `json:"style"`
	CustomID string `json:"custom_id"`
}

// Buttons lists every button of a message.
func (p Payload) Buttons() []Button {
	var out []Button
	for _, r := range p.Components {
		out = append(out, r.Components...)
	}
	return out
}

// Text is what a person reads: content, then each embed's title,
// description, fields ("name: value") and footer, one per line.
func (p Payload) Text() string {
	var b strings.Builder
	add := func(s string) {
		if s != "" && s != "\u200b" {
			b.WriteString(s)
			b.WriteByte('\n')
		}
	}
	add(p.Content)
	for _, e := range p.Embeds {
		add(e.Title)
		add(e.Description)
		for _, f := range e.Fields {
			if f.Name == "\u200b" {
				add(f.Value)
				continue
			}
			add(f.Name + ": " + f.Value)
		}
		if e.Footer != nil {
			add(e.Footer.Text)
		}
	}
	return b.String()
}

// Response is an interaction response as the bot answered it.
type Response struct {
	Type int      `json:"type"`
	Data *Payload `json:"data"`
}

// Posted is one message the bot created or edited through the REST API.
type Posted struct {
	// Kind is "message" (a channel post), "followup", "edit" (of an
	// interaction's original message) or "callback" (an interaction
	// response over REST, as in gateway mode).
	Kind string
	// ChannelID for a post; Token and InteractionID for the others.
	ChannelID     string
	Token         string
	InteractionID string
	// MessageID is the ID the fake gave the message.
	MessageID string
	Payload   Payload
	// Response is the whole body of a callback.
	Response Response
	// Raw is the request body as sent (for a message with files, its
	// payload_json).
	Raw []byte
	// Files are the files sent with a channel post.
	Files []File
}

// Failure is a scripted answer for the next request matching Method and a
// path prefix (relative to the API base, e.g. "channels/"), once After
// matching requests have gone through.
type Failure struct {
	Method string
	Prefix string
	After  int
	Status int
	Body   string
	Header http.Header
}

// Server is a fake Discord REST API.
type Server struct {
	*httptest.Server
	// Token is the bot token it accepts (without "Bot ").
	Token string
	AppID string

	mu       sync.Mutex
	next     int64
	posted   []Posted
	fails    []Failure
	requests []string
	dms      map[string]string // user → DM channel
	dmUsers  map[string]string // DM channel → user
	commands map[string]json.RawMessage
	channels map[string]bool // channels that exist; nil: every channel exists
	// Gateway, when set, is the websocket URL GET /gateway returns.
	Gateway string
}

// NewServer starts a fake Discord for tb, closed when tb ends.
func NewServer(tb testing.TB, token, appID string) *Server {
	tb.Helper()
	s := &Server{Token: token, AppID: appID, next: 900000000000000000,
		dms: map[string]string{}, dmUsers: map[string]string{}, commands: map[string]json.RawMessage{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.Close)
	return s
}

// APIURL is the base URL to give the bot (DISCORD_API_URL).
func (s *Server) APIURL() string { return s.URL + "/api/v9/" }

// Fail scripts the next matching request's answer (first in, first used).
func (s *Server) Fail(f Failure) {
	s.mu.Lock()
	s.fails = append(s.fails, f)
	s.mu.Unlock()
}

// OnlyChannels makes every channel but these (and DM channels) unknown.
func (s *Server) OnlyChannels(ids ...string) {
	s.mu.Lock()
	s.channels = map[string]bool{}
	for _, id := range ids {
		s.channels[id] = true
	}
	s.mu.Unlock()
}

// Posted returns every message recorded so far.
func (s *Server) Posted() []Posted {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Posted(nil), s.posted...)
}

// Requests lists every request as "METHOD path".
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// DMUser says whose DM channel a channel is ("" when it is not one).
func (s *Server) DMUser(channel string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dmUsers[channel]
}

// Commands returns the last command list registered at a scope ("global"
// or a guild ID).
func (s *Server) Commands(scope string) json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commands[scope]
}

func (s *Server) id() string {
	s.next++
	return strconv.FormatInt(s.next, 10)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func apiError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{"code": code, "message": msg})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	path, ok := strings.CutPrefix(r.URL.Path, "/api/v9/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r.Method+" "+path)
	for i, f := range s.fails {
		if f.Method == r.Method && strings.HasPrefix(path, f.Prefix) {
			if f.After > 0 {
				s.fails[i].After--
				break
			}
			s.fails = append(s.fails[:i], s.fails[i+1:]...)
			for k, vs := range f.Header {
				for _, v := range vs {
					w.Header().Add(k, v)
				}
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(f.Status)
			_, _ = io.WriteString(w, f.Body)
			return
		}
	}
	parts := strings.Split(path, "/")
	bot := r.Header.Get("Authorization") == "Bot "+s.Token
	needsBot := parts[0] != "webhooks" && parts[0] != "interactions"
	if needsBot && !bot {
		apiError(w, http.StatusUnauthorized, 0, "401: Unauthorized")
		return
	}
	switch {
	case r.Method == http.MethodGet && path == "gateway":
		writeJSON(w, 200, map[string]any{"url": s.Gateway})
	case r.Method == http.MethodPost && len(parts) == 3 && parts[0] == "channels" && parts[2] == "messages":
		ch := parts[1]
		if s.channels != nil && !s.channels[ch] && s.dmUsers[ch] == "" {
			apiError(w, http.StatusNotFound, 10003, "Unknown Channel")
			return
		}
		files, payload, err := multipartMessage(r.Header.Get("Content-Type"), body)
		if err != nil {
			apiError(w, 400, 50035, "Invalid Form Body: "+err.Error())
			return
		}
		p := s.record(Posted{Kind: "message", ChannelID: ch, Files: files}, payload)
		writeJSON(w, 200, map[string]any{"id": p.MessageID, "channel_id": ch, "content": p.Payload.Content})
	case r.Method == http.MethodPost && path == "users/@me/channels":
		var req struct {
			RecipientID string `json:"recipient_id"`
		}
		_ = json.Unmarshal(body, &req)
		ch, ok := s.dms[req.RecipientID]
		if !ok {
			ch = s.id()
			s.dms[req.RecipientID], s.dmUsers[ch] = ch, req.RecipientID
		}
		writeJSON(w, 200, map[string]any{"id": ch, "type": 1, "recipients": []map[string]any{{"id": req.RecipientID}}})
	case r.Method == http.MethodPost && len(parts) == 4 && parts[0] == "interactions" && parts[3] == "callback":
		p := Posted{Kind: "callback", InteractionID: parts[1], Token: parts[2]}
		if err := json.Unmarshal(body, &p.Response); err != nil {
			apiError(w, 400, 50035, "Invalid Form Body")
			return
		}
		if p.Response.Data != nil {
			p.Payload = *p.Response.Data
		}
		p.MessageID, p.Raw = s.id(), body
		s.posted = append(s.posted, p)
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodPost && len(parts) == 3 && parts[0] == "webhooks":
		p := s.record(Posted{Kind: "followup", Token: parts[2]}, body)
		writeJSON(w, 200, map[string]any{"id": p.MessageID, "content": p.Payload.Content})
	case r.Method == http.MethodPatch && len(parts) == 5 && parts[0] == "webhooks" && parts[3] == "messages":
		p := s.record(Posted{Kind: "edit", Token: parts[2], MessageID: parts[4]}, body)
		writeJSON(w, 200, map[string]any{"id": p.MessageID, "content": p.Payload.Content})
	case r.Method == http.MethodPut && len(parts) >= 3 && parts[0] == "applications" && parts[len(parts)-1] == "commands":
		if parts[1] != s.AppID {
			apiError(w, 404, 10002, "Unknown Application")
			return
		}
		scope := "global"
		if len(parts) == 5 && parts[2] == "guilds" {
			scope = parts[3]
		}
		var cmds []map[string]any
		if err := json.Unmarshal(body, &cmds); err != nil {
			apiError(w, 400, 50035, "Invalid Form Body")
			return
		}
		s.commands[scope] = body
		for _, c := range cmds {
			c["id"], c["application_id"] = s.id(), s.AppID
		}
		writeJSON(w, 200, cmds)
	default:
		apiError(w, 404, 0, "404: Not Found")
	}
}

// multipartMessage splits a message sent with files into its files and
// its payload_json; any other body is the payload itself.
func multipartMessage(contentType string, body []byte) ([]File, []byte, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "multipart/form-data" {
		return nil, body, nil
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var files []File
	var payload []byte
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return nil, nil, err
		}
		if part.FormName() == "payload_json" {
			payload = data
			continue
		}
		files = append(files, File{Field: part.FormName(), Name: part.FileName(), ContentType: part.Header.Get("Content-Type"), Data: data})
	}
	if payload == nil {
		return nil, nil, fmt.Errorf("no payload_json part")
	}
	return files, payload, nil
}

func (s *Server) record(p Posted, body []byte) Posted {
	_ = json.Unmarshal(body, &p.Payload)
	p.Raw = body
	if p.MessageID == "" {
		p.MessageID = s.id()
	}
	s.posted = append(s.posted, p)
	return p
}

// Sign is Discord's signature of an interaction: hex Ed25519 over the
// timestamp and the body.
func Sign(key ed25519.PrivateKey, timestamp string, body []byte) string {
	return hex.EncodeToString(ed25519.Sign(key, append([]byte(timestamp), body...)))
}

// SignedRequest is a POST of body to url as Discord sends interactions.
func SignedRequest(url string, key ed25519.PrivateKey, timestamp string, body []byte) *http.Request {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(string(body)))
	if err != nil {
		panic(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Discord-Interactions/1.0 (+https://discord.com)")
	req.Header.Set("X-Signature-Timestamp", timestamp)
	req.Header.Set("X-Signature-Ed25519", Sign(key, timestamp, body))
	return req
}

// User is a Discord user as interactions carry them.
type User struct {
	ID         string `json:"id"`
	Username   string `json:"username"`
	GlobalName string `json:"global_name,omitempty"`
}

// Option is one option of a sub-command: Type 3 String, 4 Integer, 5
// Boolean, 6 User, 10 Number.
type Option struct {
	Name  string `json:"name"`
	Type  int    `json:"type"`
	Value any    `json:"value"`
}

// Place is where an interaction happens: a guild channel (GuildID set) or
// a DM.
type Place struct {
	GuildID   string
	ChannelID string
}

func caller(p Place, u User) map[string]any {
	if p.GuildID == "" {
		return map[string]any{"user": u}
	}
	return map[string]any{"member": map[string]any{"user": u, "roles": []string{}, "permissions": "2147483647", "joined_at": "2026-01-05T09:00:00.000000+00:00"}}
}

// SlashCommand builds a type-2 interaction: /command sub with options;
// users are the resolved users of its User options.
func SlashCommand(id, appID, token string, where Place, by User, command, sub string, opts []Option, users ...User) []byte {
	data := map[string]any{"id": "1" + strconv.Itoa(len(command)), "name": command, "type": 1,
		"options": []map[string]any{{"name": sub, "type": 1, "options": opts}}}
	if len(users) > 0 {
		ru, rm := map[string]any{}, map[string]any{}
		for _, u := range users {
			ru[u.ID] = u
			rm[u.ID] = map[string]any{"roles": []string{}, "joined_at": "2026-01-05T09:00:00.000000+00:00"}
		}
		data["resolved"] = map[string]any{"users": ru, "members": rm}
	}
	return interaction(id, appID, token, 2, where, by, data, nil)
}

// Message is a message a button is pressed on, as the interaction carries it.
type Message struct {
	ID        string
	ChannelID string
	Flags     int
	Payload   Payload
}

// Press builds a type-3 interaction: a press of the button customID on msg.
func Press(id, appID, token string, where Place, by User, msg Message, customID string) []byte {
	m := map[string]any{"id": msg.ID, "channel_id": msg.ChannelID, "flags": msg.Flags, "type": 0,
		"content": msg.Payload.Content, "embeds": msg.Payload.Embeds, "components": msg.Payload.Components,
		"author":    map[string]any{"id": appID, "username": "safeload", "bot": true},
		"timestamp": "2026-11-23T10:00:00.000000+00:00"}
	if m["embeds"] == nil {
		m["embeds"] = []Embed{}
	}
	if m["components"] == nil {
		m["components"] = []Row{}
	}
	data := map[string]any{"custom_id": customID, "component_type": 2}
	return interaction(id, appID, token, 3, where, by, data, m)
}

// Ping is Discord's PING interaction.
func Ping(appID string) []byte {
	b, _ := json.Marshal(map[string]any{"id": "1", "application_id": appID, "type": 1, "token": "ping", "version": 1})
	return b
}

func interaction(id, appID, token string, typ int, where Place, by User, data, msg map[string]any) []byte {
	in := map[string]any{"id": id, "application_id": appID, "type": typ, "token": token, "version": 1,
		"channel_id": where.ChannelID, "data": data, "locale": "en-GB",
		"channel": map[string]any{"id": where.ChannelID, "type": 0}}
	if where.GuildID != "" {
		in["guild_id"] = where.GuildID
		in["context"] = 0
	} else {
		in["context"] = 1
		in["channel"] = map[string]any{"id": where.ChannelID, "type": 1}
	}
	for k, v := range caller(where, by) {
		in[k] = v
	}
	if msg != nil {
		in["message"] = msg
	}
	b, err := json.Marshal(in)
	if err != nil {
		panic(fmt.Sprintf("discordtest: %v", err))
	}
	return b
}
