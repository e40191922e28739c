package etcdtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
)

// Certs are the PEM files of a test PKI: a CA, the server's certificate
// (for 127.0.0.1) and a client certificate.
type Certs struct {
	CA, ServerCert, ServerKey, ClientCert, ClientKey string
}

// NewCerts writes a CA, a server and a client certificate (common name
// clientCN) into a temporary directory.
func NewCerts(tb testing.TB, clientCN string) Certs {
	tb.Helper()
	dir := tb.TempDir()
	caKey, caCert, caDER := newCert(tb, "safeload test CA", nil, nil, true)
	c := Certs{CA: filepath.Join(dir, "ca.crt")}
	writePEM(tb, c.CA, "CERTIFICATE", caDER)
	srvKey, _, srvDER := newCert(tb, "127.0.0.1", caCert, caKey, false)
	c.ServerCert, c.ServerKey = filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	writePEM(tb, c.ServerCert, "CERTIFICATE", srvDER)
	writeKey(tb, c.ServerKey, srvKey)
	cliKey, _, cliDER := newCert(tb, clientCN, caCert, caKey, false)
	c.ClientCert, c.ClientKey = filepath.Join(dir, "client.crt"), filepath.Join(dir, "client.key")
	writePEM(tb, c.ClientCert, "CERTIFICATE", cliDER)
	writeKey(tb, c.ClientKey, cliKey)
	return c
}

func newCert(tb testing.TB, cn string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, ca bool) (*ecdsa.PrivateKey, *x509.Certificate, []byte) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
	}
	if ca {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage |= x509.KeyUsageCertSign
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	return key, cert, der
}

func writePEM(tb testing.TB, path, typ string, der []byte) {
	tb.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		tb.Fatal(err)
	}
}

func writeKey(tb testing.TB, path string, key *ecdsa.PrivateKey) {
	tb.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	writePEM(tb, path, "PRIVATE KEY", der)
}

// StartTLS starts one member that serves clients over TLS only and asks
// for a client certificate signed by the certs' CA.
func StartTLS(tb testing.TB, certs Certs) *Cluster {
	tb.Helper()
	c := &Cluster{tb: tb}
	m := &Member{
		Name:      "m0",
		ClientURL: "https://" + freeAddr(tb),
		peerURL:   "http://" + freeAddr(tb),
		dir:       tb.TempDir(),
		tls: &transport.TLSInfo{CertFile: certs.ServerCert, KeyFile: certs.ServerKey,
			TrustedCAFile: certs.CA, ClientCertAuth: true},
	}
	c.Members = []*Member{m}
	c.initial = m.Name + "=" + m.peerURL
	if err := c.start(m, "new"); err != nil {
		tb.Fatalf("start etcd with TLS: %v", err)
	}
	tb.Cleanup(c.Stop)
	return c
}
