package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// check is one health probe; nil means healthy.
type check func(ctx context.Context) error

// adminClient is an HTTPS client that trusts the lab CA and presents the admin certificate.
func (c *config) adminHTTP() (*http.Client, error) {
	caPEM, err := os.ReadFile(c.pki("ca.crt"))
	if err != nil {
		return nil, fmt.Errorf("read lab CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("no certificate in %s", c.pki("ca.crt"))
	}
	cert, err := tls.LoadX509KeyPair(c.pki("admin.crt"), c.pki("admin.key"))
	if err != nil {
		return nil, fmt.Errorf("load admin certificate: %w", err)
	}
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}},
	}}, nil
}

// insecureHTTP is for the controller-manager's and scheduler's self-signed serving certificates
// (they generate their own when given none); /healthz there needs no client identity.
var insecureHTTP = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
	TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
}}

var plainHTTP = &http.Client{Timeout: 5 * time.Second}

// httpOK probes url and wants a 200, and the body to contain want if want is set.
func httpOK(client *http.Client, url, want string) check {
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		text := strings.TrimSpace(string(body))
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: HTTP %d %s", url, resp.StatusCode, firstLine(text))
		}
		if want != "" && !strings.Contains(text, want) {
			return fmt.Errorf("%s: unexpected answer %q", url, firstLine(text))
		}
		return nil
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	if len(line) > 120 {
		line = line[:120] + "..."
	}
	return line
}

// clientset builds a client-go clientset with the admin identity.
func (c *config) clientset() (*kubernetes.Clientset, error) {
	cs, err := kubernetes.NewForConfig(&rest.Config{
		Host: apiServerURL,
		TLSClientConfig: rest.TLSClientConfig{
			CAFile:   c.pki("ca.crt"),
			CertFile: c.pki("admin.crt"),
			KeyFile:  c.pki("admin.key"),
		},
		Timeout: 10 * time.Second,
	})
	if err != nil {
		return nil, fmt.Errorf("build admin client: %w", err)
	}
	return cs, nil
}

// nodeReady checks that the agent registered the Node and reports it Ready.
func (c *config) nodeReady(cs *kubernetes.Clientset, n node) check {
	return func(ctx context.Context) error {
		obj, err := cs.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("node %s: %w", n.Name, err)
		}
		for _, cond := range obj.Status.Conditions {
			if cond.Type == corev1.NodeReady {
				if cond.Status == corev1.ConditionTrue {
					return nil
				}
				return fmt.Errorf("node %s Ready=%s: %s", n.Name, cond.Status, cond.Message)
			}
		}
		return fmt.Errorf("node %s has no Ready condition yet", n.Name)
	}
}

// controllersRunning checks what the controller-manager's /healthz does not: that its
// controllers actually work. Every namespace gets a "default" ServiceAccount (without it pods are
// refused at admission) and the kube-root-ca.crt ConfigMap (projected into every pod's token
// volume); both exist in "default" once the controllers have synced.
func controllersRunning(cs *kubernetes.Clientset) check {
	return func(ctx context.Context) error {
		if _, err := cs.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{}); err != nil {
			return fmt.Errorf("service-account controller: %w", err)
		}
		if _, err := cs.CoreV1().ConfigMaps("default").Get(ctx, "kube-root-ca.crt", metav1.GetOptions{}); err != nil {
			return fmt.Errorf("root-CA publisher: %w", err)
		}
		return nil
	}
}

// probes of each component, shared by up (to wait) and status (to report).
func (c *config) etcdHealth() check {
	return httpOK(plainHTTP, "http://127.0.0.1:2379/health", `"health":"true"`)
}

func (c *config) apiServerReady(client *http.Client) check {
	return httpOK(client, apiServerURL+"/readyz", "ok")
}

func controllerManagerHealth() check {
	return httpOK(insecureHTTP, "https://127.0.0.1:10257/healthz", "ok")
}
func schedulerHealth() check { return httpOK(insecureHTTP, "https://127.0.0.1:10259/healthz", "ok") }
func coreDNSReady() check    { return httpOK(plainHTTP, "http://127.0.0.1:8182/ready", "") }
func kubeProxyHealth(n node) check {
	return httpOK(plainHTTP, fmt.Sprintf("http://%s:10256/healthz", n.IP()), "")
}
