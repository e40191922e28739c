package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/slack-go/slack"
)

// floorHandler is the least a signed Slack slash command can cost: check the
// signature with slack-go, parse the form, answer a private "hello". The load
// generator serves it in the same run as the product, through the same client
// path, so that the product's figures can be read as ratios to it.
func floorHandler(secret string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		sv, err := slack.NewSecretsVerifier(r.Header, secret)
		if err != nil {
			http.Error(w, "unsigned", http.StatusUnauthorized)
			return
		}
		if _, err := sv.Write(body); err != nil || sv.Ensure() != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		cmd, err := slack.SlashCommandParse(r)
		if err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(&slack.Msg{ResponseType: slack.ResponseTypeEphemeral, Text: "Hello, <@" + cmd.UserID + ">"})
	})
}

// serveFloor starts the floor handler on a loopback port with the same
// server timeouts as a production HTTP server would have.
func serveFloor(secret string) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: http.NewServeMux(), ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second, IdleTimeout: time.Minute}
	srv.Handler.(*http.ServeMux).Handle("POST /slack/commands", floorHandler(secret))
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}
