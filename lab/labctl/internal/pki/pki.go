// Package pki creates the lab cluster's certificate authority, the certificates of every
// component and the kubeconfig files that carry them. It uses Go's crypto packages only (no
// openssl), so the lab needs nothing installed beyond Go.
package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// validity is long enough that a lab left running never sees an expiry, short enough to be
// obviously a test certificate.
const validity = 5 * 365 * 24 * time.Hour

// CA is a self-signed certificate authority that signs every lab certificate.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// Leaf describes one certificate to issue. Client certificates carry the Kubernetes user in the
// CommonName and its groups in Organization; serving certificates carry their names in the SANs.
type Leaf struct {
	Name   string // file base name: <dir>/<Name>.crt and <Name>.key
	CN     string
	Orgs   []string
	DNS    []string
	IPs    []net.IP
	Client bool
	Server bool
}

// NewCA creates a CA key and self-signed certificate and writes ca.crt and ca.key into dir.
func NewCA(dir string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate CA key: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "ambient-lab-ca"},
		NotBefore:             now.Add(-time.Hour), // tolerate small clock differences
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("self-sign CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse CA certificate: %w", err)
	}
	if err := writeCertKey(dir, "ca", der, key); err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key}, nil
}

// Issue creates a P-256 key and a certificate for l signed by the CA, and writes both into dir.
func (ca *CA) Issue(dir string, l Leaf) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generate key for %s: %w", l.Name, err)
	}
	serial, err := newSerial()
	if err != nil {
		return err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: l.CN, Organization: l.Orgs},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(validity),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		DNSNames:     l.DNS,
		IPAddresses:  l.IPs,
	}
	if l.Client {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
	}
	if l.Server {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return fmt.Errorf("sign certificate %s: %w", l.Name, err)
	}
	return writeCertKey(dir, l.Name, der, key)
}

// NewServiceAccountKey writes sa.key (RSA 2048, PKCS#1) and sa.pub (PKIX) into dir: the
// apiserver signs service-account tokens with it and the controller-manager mints them.
// RSA because every token consumer (Istio-style CAs included) accepts RS256.
func NewServiceAccountKey(dir string) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("generate service-account key: %w", err)
	}
	priv := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return fmt.Errorf("encode service-account public key: %w", err)
	}
	pub := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	if err := os.WriteFile(filepath.Join(dir, "sa.key"), priv, 0o600); err != nil {
		return fmt.Errorf("write sa.key: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sa.pub"), pub, 0o644); err != nil {
		return fmt.Errorf("write sa.pub: %w", err)
	}
	return nil
}

func writeCertKey(dir, name string, der []byte, key *ecdsa.PrivateKey) error {
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return fmt.Errorf("encode key %s: %w", name, err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	if err := os.WriteFile(filepath.Join(dir, name+".crt"), certPEM, 0o644); err != nil {
		return fmt.Errorf("write %s.crt: %w", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".key"), keyPEM, 0o600); err != nil {
		return fmt.Errorf("write %s.key: %w", name, err)
	}
	return nil
}

func newSerial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	if err != nil {
		return nil, fmt.Errorf("random serial number: %w", err)
	}
	return n, nil
}
