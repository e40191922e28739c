// Package fakeslack is a fake Slack for tests of the Slack adapter and of
// the whole binary: slack-go's slacktest server, with recording handlers
// for the Web API methods safeload calls (chat.postMessage,
// chat.postEphemeral, chat.update, conversations.open, and the file upload
// flow: files.getUploadURLExternal, the upload, files.completeUploadExternal)
// and for response_url, and failures that a test can script (a 429 with
// Retry-After, a 500, an error code). It is test support only.
package fakeslack

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack/slacktest"
)

// ResponseURLMethod names posts to a response_url in Calls and Fail.
const ResponseURLMethod = "response_url"

// Call is one successful call that the fake recorded.
type Call struct {
	Method string // "chat.postMessage", …, or ResponseURLMethod
	// URL is the response_url posted to.
	URL     string
	Channel string
	// User is chat.postEphemeral's user, or conversations.open's users.
	User string
	// TS is the timestamp of a message, as the fake gave it or as updated.
	TS           string
	Text         string
	Blocks       json.RawMessage
	ResponseType string
	Replace      bool
	// Token is the bearer token the call carried (Web API calls only).
	Token string
	// File is what the upload flow carried: files.getUploadURLExternal's
	// name, size and alt text, the bytes of the upload, and
	// files.completeUploadExternal's title (Channel is its channel_id).
	File *File
}

// File is one file of the upload flow.
type File struct {
	ID, Name, Alt, Title string
	Size                 int
	Data                 []byte
}

// UploadMethod names the upload itself (the POST to the URL that
// files.getUploadURLExternal gave) in Calls and Fail.
const UploadMethod = "upload"

// Reply is a scripted failure.
type Reply struct {
	Status     int    // an HTTP status other than 200
	RetryAfter string // the Retry-After header, with a 429
	Error      string // or Slack's {"ok":false,"error":…} with status 200
}

// Server is the fake. Build it with New; Close it when done.
type Server struct {
	sts *slacktest.Server

	mu       sync.Mutex
	calls    []Call
	attempts map[string]int
	script   map[string][]Reply
	hooks    int
	seq      int
	// files are the uploads by ID: what getUploadURLExternal announced and
	// what was uploaded.
	files map[string]*File
}

// New starts a fake Slack. custom binders come first, so a test may add
// endpoints (apps.connections.open, a WebSocket) or replace the fake's.
func New(custom ...slacktest.Binder) *Server {
	s := &Server{attempts: map[string]int{}, script: map[string][]Reply{}, files: map[string]*File{}}
	binders := append(custom, func(c slacktest.Customize) {
		c.Handle("/chat.postMessage", s.api("chat.postMessage"))
		c.Handle("/chat.postEphemeral", s.api("chat.postEphemeral"))
		c.Handle("/chat.update", s.api("chat.update"))
		c.Handle("/conversations.open", s.api("conversations.open"))
		c.Handle("/hooks/", s.hook)
		c.Handle("/files.getUploadURLExternal", s.getUploadURL)
		c.Handle("/upload/", s.upload)
		c.Handle("/files.completeUploadExternal", s.completeUpload)
	})
	s.sts = slacktest.NewTestServer(binders...)
	s.sts.Start()
	return s
}

// Close stops the server.
func (s *Server) Close() { s.sts.Stop() }

// APIURL is the Web API base to give slack-go (with its trailing slash).
func (s *Server) APIURL() string { return s.sts.GetAPIURL() }

// ResponseURL makes a new response_url, as Slack does for each request.
func (s *Server) ResponseURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks++
	return fmt.Sprintf("%shooks/%d", s.sts.GetAPIURL(), s.hooks)
}

// DMChannel is the DM channel the fake opens with a person.
func DMChannel(user string) string { return "D" + user }

// Fail scripts the next answers of a method (or ResponseURLMethod).
func (s *Server) Fail(method string, replies ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script[method] = append(s.script[method], replies...)
}

// Calls are the successful calls so far, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Attempts counts every call of a method, failed ones included.
func (s *Server) Attempts(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts[method]
}

// failed answers with the next scripted failure, if any.
func (s *Server) failed(w http.ResponseWriter, method string) bool {
	s.mu.Lock()
	s.attempts[method]++
	var r Reply
	q := s.script[method]
	if len(q) > 0 {
		r, s.script[method] = q[0], q[1:]
	}
	s.mu.Unlock()
	switch {
	case r.Status != 0 && r.Status != http.StatusOK:
		if r.RetryAfter != "" {
			w.Header().Set("Retry-After", r.RetryAfter)
		}
		http.Error(w, http.StatusText(r.Status), r.Status)
		return true
	case r.Error != "":
		writeJSON(w, map[string]any{"ok": false, "error": r.Error})
		return true
	}
	return false
}

func (s *Server) record(c Call) Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.TS == "" && (c.Method == "chat.postMessage" || c.Method == "chat.postEphemeral") {
		s.seq++
		c.TS = fmt.Sprintf("1790000000.%06d", s.seq)
	}
	s.calls = append(s.calls, c)
	return c
}

func (s *Server) api(method string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.failed(w, method) {
			return
		}
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f := r.PostForm
		token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if token == "" {
			token = f.Get("token")
		}
		c := Call{Method: method, Channel: f.Get("channel"), User: f.Get("user"), TS: f.Get("ts"),
			Text: f.Get("text"), Token: token}
		if b := f.Get("blocks"); b != "" {
			c.Blocks = json.RawMessage(b)
		}
		switch method {
		case "conversations.open":
			c.User = f.Get("users")
			c.Channel = DMChannel(c.User)
			s.record(c)
			writeJSON(w, map[string]any{"ok": true, "channel": map[string]any{"id": c.Channel}})
		case "chat.postEphemeral":
			c = s.record(c)
			writeJSON(w, map[string]any{"ok": true, "message_ts": c.TS})
		default:
			c = s.record(c)
			writeJSON(w, map[string]any{"ok": true, "channel": c.Channel, "ts": c.TS, "text": c.Text})
		}
	}
}

// getUploadURL starts an upload: an ID and a URL on this server.
func (s *Server) getUploadURL(w http.ResponseWriter, r *http.Request) {
	const method = "files.getUploadURLExternal"
	if s.failed(w, method) {
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	size, err := strconv.Atoi(r.PostForm.Get("length"))
	if err != nil || size <= 0 || r.PostForm.Get("filename") == "" {
		writeJSON(w, map[string]any{"ok": false, "error": "invalid_arguments"})
		return
	}
	s.mu.Lock()
	s.seq++
	f := &File{ID: fmt.Sprintf("F%06d", s.seq), Name: r.PostForm.Get("filename"), Alt: r.PostForm.Get("alt_txt"), Size: size}
	s.files[f.ID] = f
	s.mu.Unlock()
	s.record(Call{Method: method, Token: bearer(r), File: f})
	writeJSON(w, map[string]any{"ok": true, "file_id": f.ID, "upload_url": s.sts.GetAPIURL() + "upload/" + f.ID})
}

func bearer(r *http.Request) string {
	if t := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "); t != "" {
		return t
	}
	return r.PostForm.Get("token")
}

// upload receives a file's bytes (multipart, field "file").
func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	if s.failed(w, UploadMethod) {
		return
	}
	id := strings.TrimPrefix(r.URL.Path, "/upload/")
	s.mu.Lock()
	f := s.files[id]
	s.mu.Unlock()
	if f == nil {
		http.Error(w, "no such upload", http.StatusNotFound)
		return
	}
	part, _, err := r.FormFile("file")
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	data, err := io.ReadAll(part)
	if err != nil || len(data) != f.Size {
		http.Error(w, fmt.Sprintf("got %d bytes, announced %d", len(data), f.Size), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	f.Data = data
	s.mu.Unlock()
	s.record(Call{Method: UploadMethod, Token: bearer(r), File: &File{ID: f.ID, Name: f.Name, Size: len(data), Data: data}})
	_, _ = io.WriteString(w, "OK - "+strconv.Itoa(len(data)))
}

// completeUpload shares uploaded files in a channel: one Call per file.
func (s *Server) completeUpload(w http.ResponseWriter, r *http.Request) {
	const method = "files.completeUploadExternal"
	if s.failed(w, method) {
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var files []struct{ ID, Title string }
	if err := json.Unmarshal([]byte(r.PostForm.Get("files")), &files); err != nil || len(files) == 0 {
		writeJSON(w, map[string]any{"ok": false, "error": "invalid_arguments"})
		return
	}
	var out []map[string]string
	for _, sum := range files {
		s.mu.Lock()
		f := s.files[sum.ID]
		var done File
		if f != nil {
			done = *f
		}
		s.mu.Unlock()
		if f == nil || done.Data == nil {
			writeJSON(w, map[string]any{"ok": false, "error": "file_not_found"})
			return
		}
		done.Title = sum.Title
		s.record(Call{Method: method, Channel: r.PostForm.Get("channel_id"), Text: r.PostForm.Get("initial_comment"),
			Token: bearer(r), File: &done})
		out = append(out, map[string]string{"id": done.ID, "title": sum.Title})
	}
	writeJSON(w, map[string]any{"ok": true, "files": out})
}

// hook is a response_url.
func (s *Server) hook(w http.ResponseWriter, r *http.Request) {
	if s.failed(w, ResponseURLMethod) {
		return
	}
	var m struct {
		Text         string          `json:"text"`
		Blocks       json.RawMessage `json:"blocks"`
		ResponseType string          `json:"response_type"`
		Replace      bool            `json:"replace_original"`
	}
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &m); err != nil {
		http.Error(w, "bad JSON: "+err.Error(), http.StatusBadRequest)
		return
	}
	u := *r.URL
	u.Scheme, u.Host = "http", r.Host
	s.record(Call{Method: ResponseURLMethod, URL: u.String(), Text: m.Text, Blocks: m.Blocks,
		ResponseType: m.ResponseType, Replace: m.Replace})
	_, _ = io.WriteString(w, "ok")
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// Button is a button as shown.
type Button struct{ Label, ActionID, Value string }

// Flatten is the text of Block Kit blocks as a person reads it (header,
// sections, fields, context), with Slack's escapes undone, and their
// buttons. Mentions stay as Slack writes them: <@U01>.
func Flatten(blocks json.RawMessage) (string, []Button, error) {
	var bs []struct {
		Type     string `json:"type"`
		Text     *text  `json:"text"`
		Fields   []text `json:"fields"`
		Elements []struct {
			Text     json.RawMessage `json:"text"` // a string in context, an object on a button
			ActionID string          `json:"action_id"`
			Value    string          `json:"value"`
		} `json:"elements"`
	}
	if len(blocks) == 0 {
		return "", nil, nil
	}
	if err := json.Unmarshal(blocks, &bs); err != nil {
		return "", nil, err
	}
	var lines []string
	var buttons []Button
	for _, b := range bs {
		if b.Text != nil {
			lines = append(lines, b.Text.Text)
		}
		for _, f := range b.Fields {
			lines = append(lines, f.Text)
		}
		for _, e := range b.Elements {
			switch b.Type {
			case "actions":
				var label text
				if err := json.Unmarshal(e.Text, &label); err != nil {
					return "", nil, err
				}
				buttons = append(buttons, Button{Label: label.Text, ActionID: e.ActionID, Value: e.Value})
			case "context":
				var t string
				if err := json.Unmarshal(e.Text, &t); err != nil {
					return "", nil, err
				}
				lines = append(lines, t)
			}
		}
	}
	return unescape(strings.Join(lines, "\n")), buttons, nil
}

type text struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

var unescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

func unescape(s string) string { return unescaper.Replace(s) }

// Sign is Slack's side of request signing: "v0=" and the hex HMAC-SHA256
// of "v0:{timestamp}:{body}" with the app's signing secret.
func Sign(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:", timestamp)
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// SignedHeaders are the headers Slack sends with body at now.
func SignedHeaders(secret string, now time.Time, body []byte) map[string]string {
	ts := strconv.FormatInt(now.Unix(), 10)
	return map[string]string{"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": Sign(secret, ts, body)}
}

// Post sends a form body to target as Slack does, with these headers, and
// returns the status and body of the answer.
func Post(target string, body []byte, headers map[string]string) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// Form is a slash command's body as Slack posts it.
func Form(kv map[string]string) []byte {
	v := url.Values{}
	for k, x := range kv {
		v.Set(k, x)
	}
	return []byte(v.Encode())
}
