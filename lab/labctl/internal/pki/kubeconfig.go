package pki

import (
	"fmt"
	"os"
	"path/filepath"
)

// WriteKubeconfig writes a kubeconfig for one user that authenticates with a client certificate.
// Certificates are referenced by absolute path rather than embedded, so a reader can see which
// identity a component uses by looking at the file.
func WriteKubeconfig(path, server, caFile, certFile, keyFile, user string) error {
	text := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: ambient-lab
  cluster:
    server: %s
    certificate-authority: %s
users:
- name: %s
  user:
    client-certificate: %s
    client-key: %s
contexts:
- name: ambient-lab
  context:
    cluster: ambient-lab
    user: %s
current-context: ambient-lab
`, server, abs(caFile), quote(user), abs(certFile), abs(keyFile), quote(user))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create directory for kubeconfig %s: %w", path, err)
	}
	// 0600: the file names a private key that grants this identity.
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		return fmt.Errorf("write kubeconfig %s: %w", path, err)
	}
	return nil
}

func abs(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// quote keeps user names such as "system:node:lab-node-1" valid YAML scalars.
func quote(s string) string { return fmt.Sprintf("%q", s) }
