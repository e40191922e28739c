// Package faketeams is a fake Microsoft Teams for tests of the Teams adapter
// and of the whole binary, over real HTTP: the Bot Framework's OpenID
// metadata and signing keys (it signs the tokens a test sends, with keys
// it can rotate), the token endpoint the bot gets its own token from, and
// a Bot Connector that records every activity the bot sends, creates 1:1
// chats, and fails as a test scripts it (a 429 with Retry-After, a 500).
// It is test support only.
package faketeams

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Issuer is the Bot Framework's token issuer.
const Issuer = "https://api.botframework.com"

// Call is one call the bot made to the Bot Connector.
type Call struct {
	// Kind is "post", "update" or "create" (a new 1:1 chat).
	Kind         string
	Conversation string
	// ActivityID is the ID the fake gave a posted activity, or the ID of
	// the updated one.
	ActivityID string
	Activity   json.RawMessage
	// Member is the person a 1:1 chat was created with.
	Member string
	Tenant string
	Token  string
	// Picture is the inline image a posted activity carried, decoded from
	// its data: URI.
	Picture *Picture
}

// Picture is an image sent inline in an activity.
type Picture struct {
	Name, Type string
	// Text is the activity's text beside it (its alt text).
	Text string
	Data []byte
}

// Reply is a scripted failure.
type Reply struct {
	Status     int
	RetryAfter string
}

// Server is the fake. Build it with New; Close it when done.
type Server struct {
	srv *httptest.Server
	// AppID and Password are the credentials the token endpoint accepts.
	AppID, Password string

	mu        sync.Mutex
	keys      map[string]*rsa.PrivateKey
	published []string // kids in the key set
	current   string
	calls     []Call
	script    map[string][]Reply
	tokens    map[string]bool
	tokenReqs int
	keyReqs   int
	seq       int
	chats     map[string]string // 1:1 conversation → member
}

// New starts a fake Teams for the bot appID with its password.
func New(appID, password string) *Server {
	s := &Server{AppID: appID, Password: password, keys: map[string]*rsa.PrivateKey{},
		script: map[string][]Reply{}, tokens: map[string]bool{}, chats: map[string]string{}}
	s.current = s.addKey()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /openid", s.openid)
	mux.HandleFunc("GET /keys", s.jwks)
	mux.HandleFunc("POST /token", s.token)
	mux.HandleFunc("POST /v3/conversations", s.create)
	mux.HandleFunc("POST /v3/conversations/{conv}/activities", s.post)
	mux.HandleFunc("POST /v3/conversations/{conv}/activities/{id}", s.post)
	mux.HandleFunc("PUT /v3/conversations/{conv}/activities/{id}", s.update)
	s.srv = httptest.NewServer(mux)
	return s
}

// Close stops the fake.
func (s *Server) Close() { s.srv.Close() }

// ServiceURL is the Bot Connector's base, as activities carry it.
func (s *Server) ServiceURL() string { return s.srv.URL + "/" }

// OpenIDURL is the metadata (TEAMS_OPENID_URL).
func (s *Server) OpenIDURL() string { return s.srv.URL + "/openid" }

// TokenURL is the token endpoint (TEAMS_TOKEN_URL).
func (s *Server) TokenURL() string { return s.srv.URL + "/token" }

func (s *Server) addKey() string {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	s.seq++
	kid := fmt.Sprintf("key-%d", s.seq)
	s.keys[kid] = k
	s.published = append(s.published, kid)
	return kid
}

// RotateKey publishes a new signing key and signs with it from now on.
func (s *Server) RotateKey() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.current = s.addKey()
}

// UnpublishedKey is a key the metadata never lists, for forged tokens.
func UnpublishedKey() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

// Claims are what a test may change in a token; zero values are the
// valid ones.
type Claims struct {
	Issuer, Audience, ServiceURL string
	Expires                      time.Time
	// Key and KID sign with a key of the test's own.
	Key *rsa.PrivateKey
	KID string
}

// Token signs a Bot Framework token for the bot, valid at now unless the
// claims say otherwise.
func (s *Server) Token(now time.Time, c Claims) string {
	s.mu.Lock()
	kid := s.current
	key := s.keys[kid]
	s.mu.Unlock()
	if c.Key != nil {
		key, kid = c.Key, c.KID
	}
	if c.Issuer == "" {
		c.Issuer = Issuer
	}
	if c.Audience == "" {
		c.Audience = s.AppID
	}
	if c.ServiceURL == "" {
		c.ServiceURL = s.ServiceURL()
	}
	if c.Expires.IsZero() {
		c.Expires = now.Add(time.Hour)
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": c.Issuer, "aud": c.Audience, "serviceurl": c.ServiceURL,
		"exp": c.Expires.Unix(), "nbf": now.Add(-5 * time.Minute).Unix(),
	})
	t.Header["kid"] = kid
	signed, err := t.SignedString(key)
	if err != nil {
		panic(err)
	}
	return signed
}

func (s *Server) openid(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, map[string]any{"issuer": Issuer, "jwks_uri": s.srv.URL + "/keys",
		"id_token_signing_alg_values_supported": []string{"RS256"}})
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func (s *Server) jwks(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.keyReqs++
	var keys []map[string]any
	for _, kid := range s.published {
		pub := s.keys[kid].PublicKey
		keys = append(keys, map[string]any{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
			"n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes())})
	}
	s.mu.Unlock()
	writeJSON(w, map[string]any{"keys": keys})
}

// KeySetFetches is how often the key set was fetched.
func (s *Server) KeySetFetches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keyReqs
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	if r.PostForm.Get("grant_type") != "client_credentials" || r.PostForm.Get("client_id") != s.AppID ||
		r.PostForm.Get("client_secret") != s.Password || r.PostForm.Get("scope") != "https://api.botframework.com/.default" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":"invalid_client","error_description":"wrong credentials"}`)
		return
	}
	s.mu.Lock()
	s.tokenReqs++
	tok := fmt.Sprintf("bot-token-%d", s.tokenReqs)
	s.tokens[tok] = true
	s.mu.Unlock()
	writeJSON(w, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3600})
}

// TokenRequests is how often the bot asked for its token.
func (s *Server) TokenRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenReqs
}

// Fail makes the next calls of a kind ("post", "update", "create", or
// "picture": a post that carries an inline image) fail, one reply each.
func (s *Server) Fail(kind string, replies ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script[kind] = append(s.script[kind], replies...)
}

// begin checks the bot's token and plays a scripted failure; ok is false
// when the call was answered.
func (s *Server) begin(w http.ResponseWriter, r *http.Request, kind string) (string, bool) {
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.tokens[tok] {
		http.Error(w, `{"error":{"code":"Unauthorized"}}`, http.StatusUnauthorized)
		return "", false
	}
	if q := s.script[kind]; len(q) > 0 {
		s.script[kind] = q[1:]
		if q[0].RetryAfter != "" {
			w.Header().Set("Retry-After", q[0].RetryAfter)
		}
		http.Error(w, `{"error":{"code":"scripted"}}`, q[0].Status)
		return "", false
	}
	return tok, true
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	tok, ok := s.begin(w, r, "create")
	if !ok {
		return
	}
	var in struct {
		Bot      struct{ ID string }   `json:"bot"`
		Members  []struct{ ID string } `json:"members"`
		TenantID string                `json:"tenantId"`
		IsGroup  bool                  `json:"isGroup"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || len(in.Members) != 1 || in.IsGroup || in.TenantID == "" ||
		in.Bot.ID != "28:"+s.AppID {
		http.Error(w, `{"error":{"code":"BadArgument"}}`, http.StatusBadRequest)
		return
	}
	conv := "a:chat-" + in.Members[0].ID
	s.mu.Lock()
	s.chats[conv] = in.Members[0].ID
	s.calls = append(s.calls, Call{Kind: "create", Conversation: conv, Member: in.Members[0].ID, Tenant: in.TenantID, Token: tok})
	s.mu.Unlock()
	writeJSON(w, map[string]string{"id": conv})
}

// Chat is the 1:1 chat the fake created (or a test declared) for a member.
func (s *Server) Chat(member string) string { return "a:chat-" + member }

// ChatMember is the person of a 1:1 chat, "" for any other conversation.
func (s *Server) ChatMember(conv string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.chats[conv]; ok {
		return m
	}
	if m, ok := strings.CutPrefix(conv, "a:chat-"); ok {
		return m
	}
	return ""
}

func (s *Server) post(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil || !json.Valid(body) {
		http.Error(w, `{"error":{"code":"BadArgument"}}`, http.StatusBadRequest)
		return
	}
	pic, err := picture(body)
	if err != nil {
		http.Error(w, `{"error":{"code":"BadArgument","message":"`+err.Error()+`"}}`, http.StatusBadRequest)
		return
	}
	kind := "post"
	if pic != nil {
		kind = "picture"
	}
	tok, ok := s.begin(w, r, kind)
	if !ok {
		return
	}
	s.mu.Lock()
	s.seq++
	id := fmt.Sprintf("act-%d", s.seq)
	s.calls = append(s.calls, Call{Kind: "post", Conversation: r.PathValue("conv"), ActivityID: id, Activity: body, Token: tok, Picture: pic})
	s.mu.Unlock()
	writeJSON(w, map[string]string{"id": id})
}

// picture reads the inline image of an activity, as the Bot Connector
// takes one: an attachment of an image type whose contentUrl is a base64
// data: URI of the same type. nil when there is none.
func picture(activity []byte) (*Picture, error) {
	var a struct {
		Text        string `json:"text"`
		Attachments []struct {
			ContentType string `json:"contentType"`
			ContentURL  string `json:"contentUrl"`
			Name        string `json:"name"`
		} `json:"attachments"`
	}
	if err := json.Unmarshal(activity, &a); err != nil {
		return nil, err
	}
	for _, at := range a.Attachments {
		if !strings.HasPrefix(at.ContentType, "image/") {
			continue
		}
		b64, ok := strings.CutPrefix(at.ContentURL, "data:"+at.ContentType+";base64,")
		if !ok {
			return nil, fmt.Errorf("image attachment without a base64 data URI of type %s", at.ContentType)
		}
		data, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(data) == 0 {
			return nil, fmt.Errorf("image attachment whose data URI does not decode")
		}
		return &Picture{Name: at.Name, Type: at.ContentType, Text: a.Text, Data: data}, nil
	}
	return nil, nil
}

func (s *Server) update(w http.ResponseWriter, r *http.Request) {
	tok, ok := s.begin(w, r, "update")
	if !ok {
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil || !json.Valid(body) {
		http.Error(w, `{"error":{"code":"BadArgument"}}`, http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.calls = append(s.calls, Call{Kind: "update", Conversation: r.PathValue("conv"), ActivityID: r.PathValue("id"), Activity: body, Token: tok})
	s.mu.Unlock()
	writeJSON(w, map[string]string{"id": r.PathValue("id")})
}

// Calls is every successful call so far, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// Button is an Action.Submit as a card shows it.
type Button struct {
	Label  string
	Action string
}

// Flatten reads the first Adaptive Card of an activity as text (every text
// block, fact and title, mentions as names) and its buttons; an activity
// without a card is its text.
func Flatten(activity json.RawMessage) (text string, buttons []Button, card json.RawMessage, err error) {
	var a struct {
		Attachments []struct {
			ContentType string          `json:"contentType"`
			Content     json.RawMessage `json:"content"`
		} `json:"attachments"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(activity, &a); err != nil {
		return "", nil, nil, err
	}
	for _, at := range a.Attachments {
		if at.ContentType == "application/vnd.microsoft.card.adaptive" {
			card = at.Content
			break
		}
	}
	if card == nil {
		return a.Text, nil, nil, nil
	}
	var c struct {
		Body    []element `json:"body"`
		Actions []struct {
			Type  string            `json:"type"`
			Title string            `json:"title"`
			Data  map[string]string `json:"data"`
		} `json:"actions"`
	}
	if err := json.Unmarshal(card, &c); err != nil {
		return "", nil, nil, err
	}
	var b strings.Builder
	var walk func([]element)
	walk = func(els []element) {
		for _, e := range els {
			if e.Text != "" {
				b.WriteString(unmention(e.Text) + "\n")
			}
			for _, f := range e.Facts {
				b.WriteString(f.Title + ": " + f.Value + "\n")
			}
			walk(e.Items)
		}
	}
	walk(c.Body)
	for _, act := range c.Actions {
		if act.Type == "Action.Submit" {
			buttons = append(buttons, Button{Label: act.Title, Action: act.Data["action"]})
		}
	}
	return strings.TrimSpace(b.String()), buttons, card, nil
}

type element struct {
	Text  string `json:"text"`
	Facts []struct {
		Title string `json:"title"`
		Value string `json:"value"`
	} `json:"facts"`
	Items []element `json:"items"`
}

func unmention(s string) string {
	return strings.NewReplacer("<at>", "", "</at>", "").Replace(s)
}
