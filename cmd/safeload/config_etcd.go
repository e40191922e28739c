package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/safeload/safeload/internal/store/etcdstore"
)

// storeConfig chooses the store: the bbolt file SAFELOAD_DB, or an etcd
// cluster shared by several replicas.
type storeConfig struct {
	Kind      string // bolt or etcd
	Endpoints []string
	Prefix    string
	TLS       *tls.Config
	Username  string
	Password  string
	LeaderTTL time.Duration
}

// loadStoreConfig reads SAFELOAD_STORE, SAFELOAD_ETCD_* and
// SAFELOAD_LEADER_TTL into cfg.Store; every problem names its variable.
func loadStoreConfig(cfg *Config, env func(k, def string) string) error {
	s := &cfg.Store
	s.Kind = strings.ToLower(env("SAFELOAD_STORE", "bolt"))
	s.Prefix = env("SAFELOAD_ETCD_PREFIX", etcdstore.DefaultPrefix)
	s.Username = env("SAFELOAD_ETCD_USERNAME", "")
	s.Password = env("SAFELOAD_ETCD_PASSWORD", "")
	ttl := env("SAFELOAD_LEADER_TTL", "10s")
	d, err := time.ParseDuration(ttl)
	if err != nil || d < time.Second {
		return &configError{"SAFELOAD_LEADER_TTL", fmt.Sprintf("%q is not a Go duration of at least 1s, like 10s", ttl)}
	}
	s.LeaderTTL = d
	switch s.Kind {
	case "bolt":
		return nil
	case "etcd":
	default:
		return &configError{"SAFELOAD_STORE", fmt.Sprintf("%q is not bolt or etcd", s.Kind)}
	}
	if !strings.HasPrefix(s.Prefix, "/") || !strings.HasSuffix(s.Prefix, "/") {
		return &configError{"SAFELOAD_ETCD_PREFIX", fmt.Sprintf("%q must start and end with /, like /safeload/", s.Prefix)}
	}
	eps := env("SAFELOAD_ETCD_ENDPOINTS", "")
	if eps == "" {
		return &configError{"SAFELOAD_ETCD_ENDPOINTS", "SAFELOAD_STORE=etcd needs the etcd client URLs, e.g. http://127.0.0.1:2379,http://127.0.0.1:22379"}
	}
	anyHTTPS := false
	for _, ep := range strings.Split(eps, ",") {
		ep = strings.TrimSpace(ep)
		u, err := url.Parse(ep)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Port() == "" ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return &configError{"SAFELOAD_ETCD_ENDPOINTS", fmt.Sprintf("%q is not a client URL like http://127.0.0.1:2379", ep)}
		}
		anyHTTPS = anyHTTPS || u.Scheme == "https"
		s.Endpoints = append(s.Endpoints, ep)
	}
	if (s.Username == "") != (s.Password == "") {
		missing := "SAFELOAD_ETCD_PASSWORD"
		if s.Username == "" {
			missing = "SAFELOAD_ETCD_USERNAME"
		}
		return &configError{missing, "etcd authentication needs both SAFELOAD_ETCD_USERNAME and SAFELOAD_ETCD_PASSWORD"}
	}
	t, err := etcdTLS(env("SAFELOAD_ETCD_CACERT", ""), env("SAFELOAD_ETCD_CERT", ""), env("SAFELOAD_ETCD_KEY", ""))
	if err != nil {
		return err
	}
	if t != nil && !anyHTTPS {
		return &configError{"SAFELOAD_ETCD_ENDPOINTS", "TLS to etcd is configured (SAFELOAD_ETCD_CACERT/CERT/KEY) but no endpoint is https://"}
	}
	s.TLS = t
	return nil
}

// etcdTLS builds the client's TLS configuration from PEM files; nil when
// none is set.
func etcdTLS(caFile, certFile, keyFile string) (*tls.Config, error) {
	if caFile == "" && certFile == "" && keyFile == "" {
		return nil, nil
	}
	t := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, &configError{"SAFELOAD_ETCD_CACERT", err.Error()}
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, &configError{"SAFELOAD_ETCD_CACERT", fmt.Sprintf("%s holds no PEM certificate", caFile)}
		}
		t.RootCAs = pool
	}
	switch {
	case certFile != "" && keyFile == "":
		return nil, &configError{"SAFELOAD_ETCD_KEY", "SAFELOAD_ETCD_CERT is set without its key"}
	case certFile == "" && keyFile != "":
		return nil, &configError{"SAFELOAD_ETCD_CERT", "SAFELOAD_ETCD_KEY is set without its certificate"}
	case certFile != "":
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, &configError{"SAFELOAD_ETCD_CERT", fmt.Sprintf("cannot load the client certificate and key: %v", err)}
		}
		t.Certificates = []tls.Certificate{pair}
	}
	return t, nil
}
