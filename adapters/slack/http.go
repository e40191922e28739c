package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"

	"github.com/sirupsen/logrus"
	slackgo "github.com/slack-go/slack"
)

// formType is the media type of a form body.
const formType = "application/x-www-form-urlencoded"

// maxBody is the largest request body read; Slack's are a few kilobytes.
const maxBody = 1 << 20

// CommandsHandler serves POST /slack/commands.
func (a *Adapter) CommandsHandler() http.Handler {
	return a.signed(func(w http.ResponseWriter, r *http.Request, form url.Values) {
		if isURLEncoded(r) {
			// The body signed checked is the one it parsed: the library's
			// parser takes the form from here rather than parse it again.
			r.PostForm = form
			if r.URL.RawQuery == "" {
				r.Form = form // what ParseForm would make of it: the form, no query
			}
		}
		sc, err := slackgo.SlashCommandParse(r) // r's body is the verified one
		if err != nil {
			http.Error(w, "bad form body", http.StatusBadRequest)
			return
		}
		in, ok := fromCommand(sc)
		if !ok {
			http.Error(w, "not a slash command", http.StatusBadRequest)
			return
		}
		a.answer(r.Context(), w, in)
	})
}

// InteractionsHandler serves POST /slack/interactions.
func (a *Adapter) InteractionsHandler() http.Handler {
	return a.signed(func(w http.ResponseWriter, r *http.Request, form url.Values) {
		var cb slackgo.InteractionCallback
		if err := json.Unmarshal([]byte(form.Get("payload")), &cb); err != nil {
			http.Error(w, "bad interaction payload", http.StatusBadRequest)
			return
		}
		in, ok := fromInteraction(cb)
		if !ok {
			// Not a button of ours (a shortcut, a modal): acknowledge, do nothing.
			a.log.WithField("type", cb.Type).Debug("slack: interaction ignored")
			w.WriteHeader(http.StatusOK)
			return
		}
		a.answer(r.Context(), w, in)
	})
}

// answer writes the immediate answer, then sends the rest.
func (a *Adapter) answer(ctx context.Context, w http.ResponseWriter, in inbound) {
	first, then := a.respond(ctx, in)
	// With its length known, the flush below sends the whole answer, and
	// nothing is left to write (no chunked encoding's last chunk) when the
	// handler returns.
	if first != nil {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(first)))
		_, _ = w.Write(first)
	} else {
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
	}
	// Slack should have the answer before anything sent after it.
	_ = http.NewResponseController(w).Flush()
	if then != nil {
		go then()
	}
}

// signed checks the signature before anything else: a request that is
// unsigned, wrongly signed or stale gets 401 and reaches nothing.
func (a *Adapter) signed(next func(http.ResponseWriter, *http.Request, url.Values)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(HeaderSignature) == "" || r.Header.Get(HeaderTimestamp) == "" {
			a.refuse(w, r, errUnsigned)
			return
		}
		if r.ContentLength > maxBody {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		body, err := readBody(w, r)
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "cannot read the request", http.StatusBadRequest)
			return
		}
		if err := a.verify.Check(r.Header, body); err != nil {
			a.refuse(w, r, err)
			return
		}
		form, err := parseForm(string(body))
		if err != nil {
			http.Error(w, "bad form body", http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body)) // for the library's parsers
		next(w, r, form)
	})
}

// readBody reads the body, of at most maxBody bytes (a longer one is an
// *http.MaxBytesError). A body of known length, which the caller has
// checked is at most maxBody, is read into a buffer of that length, which
// net/http ends there.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength < 0 {
		return io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	}
	body := make([]byte, r.ContentLength)
	if _, err := io.ReadFull(r.Body, body); err != nil {
		return nil, err
	}
	return body, nil
}

// refuse answers 401. Anyone can send bad signatures, so the warning is
// logged at most once a minute, with how many were left out.
func (a *Adapter) refuse(w http.ResponseWriter, r *http.Request, why error) {
	if ok, n := a.badSigs.Allow(a.cfg.Clock.Now()); ok {
		a.log.WithFields(logrus.Fields{"path": r.URL.Path, "reason": why.Error(), "suppressed": n}).
			Warn("slack: unsigned or badly signed request refused")
	}
	http.Error(w, "invalid signature", http.StatusUnauthorized)
}

// isURLEncoded says whether net/http's ParseForm would read r's body as a
// form: a POST, PUT or PATCH of application/x-www-form-urlencoded.
func isURLEncoded(r *http.Request) bool {
	if r.Method != http.MethodPost && r.Method != http.MethodPut && r.Method != http.MethodPatch {
		return false
	}
	v := r.Header.Get("Content-Type")
	if v == formType {
		return true // what Slack sends, and what ParseMediaType would say of it
	}
	ct, _, err := mime.ParseMediaType(v)
	return err == nil && ct == formType
}
