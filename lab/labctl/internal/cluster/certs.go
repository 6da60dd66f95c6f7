package cluster

import (
	"fmt"
	"net"
	"os"

	"dev.ambient/lab/labctl/internal/pki"
)

// Client identities. The controller-manager, scheduler and kube-proxy names are the ones the
// apiserver's default RBAC bindings already grant; the others are bound by bootstrap objects
// (see bootstrap.go) or by group (system:masters).
const (
	userControllerManager = "system:kube-controller-manager"
	userScheduler         = "system:kube-scheduler"
	userKubeProxy         = "system:kube-proxy"
	userCoreDNS           = "system:coredns"
)

func nodeUser(n node) string { return "system:node:" + n.Name }

// writePKI creates the CA, every certificate, the service-account key and every kubeconfig.
func (c *config) writePKI() error {
	dir := c.path("pki")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	ca, err := pki.NewCA(dir)
	if err != nil {
		return err
	}
	leaves := []pki.Leaf{
		{Name: "apiserver", CN: "kube-apiserver", Server: true,
			DNS: []string{"kubernetes", "kubernetes.default", "kubernetes.default.svc",
				"kubernetes.default.svc." + clusterDomain, "localhost"},
			IPs: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP(hostIP), net.ParseIP(kubeServiceIP)}},
		{Name: "admin", CN: "ambient-lab-admin", Orgs: []string{"system:masters"}, Client: true},
		{Name: "controller-manager", CN: userControllerManager, Client: true},
		{Name: "scheduler", CN: userScheduler, Client: true},
		{Name: "kube-proxy", CN: userKubeProxy, Client: true},
		{Name: "coredns", CN: userCoreDNS, Client: true},
		// The apiserver's client identity toward the node agents' kubelet API (exec, logs,
		// port-forward); system:masters so the agents' webhook authorization allows it.
		{Name: "apiserver-kubelet-client", CN: "kube-apiserver-kubelet-client", Orgs: []string{"system:masters"}, Client: true},
	}
	for _, n := range c.Nodes {
		leaves = append(leaves,
			pki.Leaf{Name: n.Name + "-agent", CN: nodeUser(n), Orgs: []string{"system:nodes"}, Client: true},
			pki.Leaf{Name: n.Name + "-kubelet", CN: n.Name, Server: true,
				DNS: []string{n.Name}, IPs: []net.IP{net.ParseIP(n.IP())}})
	}
	for _, l := range leaves {
		if err := ca.Issue(dir, l); err != nil {
			return err
		}
	}
	if err := pki.NewServiceAccountKey(dir); err != nil {
		return err
	}

	kubeconfigs := []struct{ path, cert, user string }{
		{c.path("admin.kubeconfig"), "admin", "ambient-lab-admin"},
		{c.path("controller-manager.kubeconfig"), "controller-manager", userControllerManager},
		{c.path("scheduler.kubeconfig"), "scheduler", userScheduler},
		{c.path("kube-proxy.kubeconfig"), "kube-proxy", userKubeProxy},
		{c.path("coredns.kubeconfig"), "coredns", userCoreDNS},
	}
	for _, n := range c.Nodes {
		kubeconfigs = append(kubeconfigs, struct{ path, cert, user string }{
			c.path(n.Name, "kubeconfig"), n.Name + "-agent", nodeUser(n)})
	}
	for _, k := range kubeconfigs {
		if err := pki.WriteKubeconfig(k.path, apiServerURL, c.pki("ca.crt"),
			c.pki(k.cert+".crt"), c.pki(k.cert+".key"), k.user); err != nil {
			return err
		}
	}
	return nil
}
