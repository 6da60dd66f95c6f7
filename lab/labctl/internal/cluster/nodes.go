package cluster

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// kubeProxy runs kube-proxy in iptables mode inside a node's netns, so Service rules apply to
// that node's pods. The conntrack settings of 0 skip sysctl writes that fail in a netns.
func (c *config) kubeProxy(n node) (*daemon, error) {
	bin, err := c.bin("kubernetes", "kube-proxy")
	if err != nil {
		return nil, err
	}
	conf := fmt.Sprintf(`apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
# Must equal the Node name the agent registers: kube-proxy reads that Node for its IPs.
hostnameOverride: %s
clusterCIDR: %s
clientConnection:
  kubeconfig: %s
conntrack:
  maxPerCore: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
metricsBindAddress: 127.0.0.1:10249
healthzBindAddress: 0.0.0.0:10256
`, n.Name, podCIDRs, c.path("kube-proxy.kubeconfig"))
	path := c.path("kube-proxy", n.Name+".yaml")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create kube-proxy directory: %w", err)
	}
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		return nil, fmt.Errorf("write kube-proxy config for %s: %w", n.Name, err)
	}
	return &daemon{Name: kubeProxyName(n), Netns: n.NetnsPath(), Argv: []string{bin, "--config=" + path}}, nil
}

// agent runs "labctl node" (the kubelet's role) inside a node's netns.
func (c *config) agent(n node) (*daemon, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find the labctl binary: %w", err)
	}
	if c.Repo == "" {
		return nil, fmt.Errorf("no --repo <repository root> given (the agent reads lab/images.yaml from it)")
	}
	dir := c.path(n.Name)
	argv := []string{self, "node",
		"--name", n.Name,
		"--node-ip", n.IP(),
		"--pod-cidr", n.PodCIDR(),
		"--kubeconfig", filepath.Join(dir, "kubeconfig"),
		"--tls-cert", c.pki(n.Name + "-kubelet.crt"),
		"--tls-key", c.pki(n.Name + "-kubelet.key"),
		"--client-ca", c.pki("ca.crt"),
		"--state-dir", dir,
		"--images", filepath.Join(c.Repo, "lab", "images.yaml"),
		"--repo", c.Repo,
		"--cluster-dns", dnsServiceIP,
		"--cluster-domain", clusterDomain,
	}
	comps := make([]string, 0, len(c.Bins))
	for comp := range c.Bins {
		comps = append(comps, comp)
	}
	sort.Strings(comps)
	for _, comp := range comps {
		argv = append(argv, "--bin", comp+"="+c.Bins[comp])
	}
	return &daemon{Name: agentName(n), Netns: n.NetnsPath(), Argv: argv}, nil
}
