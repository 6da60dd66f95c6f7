package cluster

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// Names of the host daemons: pid files, log files and status lines use them.
const (
	nameEtcd              = "etcd"
	nameAPIServer         = "kube-apiserver"
	nameControllerManager = "kube-controller-manager"
	nameScheduler         = "kube-scheduler"
	nameCoreDNS           = "coredns"
)

func agentName(n node) string     { return "agent-" + n.Name }
func kubeProxyName(n node) string { return "kube-proxy-" + n.Name }

func (c *config) etcd() (*daemon, error) {
	bin, err := c.bin("etcd", "etcd")
	if err != nil {
		return nil, err
	}
	return &daemon{Name: nameEtcd, Argv: []string{bin,
		"--name=lab",
		"--data-dir=" + c.path("etcd"),
		"--listen-client-urls=http://127.0.0.1:2379",
		"--advertise-client-urls=http://127.0.0.1:2379",
		"--listen-peer-urls=http://127.0.0.1:2380",
		"--initial-advertise-peer-urls=http://127.0.0.1:2380",
		"--initial-cluster=lab=http://127.0.0.1:2380",
		"--initial-cluster-state=new",
		"--auto-compaction-retention=1",
		// A lab cluster stores little; a small quota keeps a runaway test from filling /run.
		"--quota-backend-bytes=" + strconv.Itoa(2<<30),
		"--log-level=warn",
	}}, nil
}

func (c *config) apiServer() (*daemon, error) {
	bin, err := c.bin("kubernetes", "kube-apiserver")
	if err != nil {
		return nil, err
	}
	return &daemon{Name: nameAPIServer, Argv: []string{bin,
		"--etcd-servers=http://127.0.0.1:2379",
		"--secure-port=" + strconv.Itoa(apiServerPort),
		"--bind-address=0.0.0.0",
		// Not loopback: the kubernetes Service's EndpointSlice rejects 127/8, and pods must
		// reach the apiserver at this address through kube-proxy's DNAT.
		"--advertise-address=" + hostIP,
		// The default reconciler, spelled out: it keeps the kubernetes Service pointing here.
		"--endpoint-reconciler-type=lease",
		"--service-cluster-ip-range=" + serviceCIDR,
		"--tls-cert-file=" + c.pki("apiserver.crt"),
		"--tls-private-key-file=" + c.pki("apiserver.key"),
		"--client-ca-file=" + c.pki("ca.crt"),
		"--authorization-mode=Node,RBAC",
		// As kubeadm: a node may only change its own Node and its pods' status.
		"--enable-admission-plugins=NodeRestriction",
		"--allow-privileged=true",
		"--service-account-issuer=https://kubernetes.default.svc." + clusterDomain,
		"--service-account-key-file=" + c.pki("sa.pub"),
		"--service-account-signing-key-file=" + c.pki("sa.key"),
		"--kubelet-client-certificate=" + c.pki("apiserver-kubelet-client.crt"),
		"--kubelet-client-key=" + c.pki("apiserver-kubelet-client.key"),
		// The agents serve certificates from our CA for their node IP: verify them.
		"--kubelet-certificate-authority=" + c.pki("ca.crt"),
		"--kubelet-preferred-address-types=InternalIP",
		"--profiling=false",
	}}, nil
}

func (c *config) controllerManager() (*daemon, error) {
	bin, err := c.bin("kubernetes", "kube-controller-manager")
	if err != nil {
		return nil, err
	}
	kc := c.path("controller-manager.kubeconfig")
	return &daemon{Name: nameControllerManager, Argv: []string{bin,
		"--kubeconfig=" + kc,
		"--authentication-kubeconfig=" + kc,
		"--authorization-kubeconfig=" + kc,
		"--bind-address=127.0.0.1",
		"--secure-port=10257",
		"--controllers=*",
		// Each controller gets its own service account, so RBAC is exercised as in a real cluster.
		"--use-service-account-credentials=true",
		"--service-account-private-key-file=" + c.pki("sa.key"),
		// Feeds the kube-root-ca.crt ConfigMap in every namespace.
		"--root-ca-file=" + c.pki("ca.crt"),
		"--cluster-signing-cert-file=" + c.pki("ca.crt"),
		"--cluster-signing-key-file=" + c.pki("ca.key"),
		// Pod CIDRs are fixed per node (10.244.<i>.0/24) and handed to the agents.
		"--allocate-node-cidrs=false",
		"--cluster-cidr=" + podCIDRs,
		"--service-cluster-ip-range=" + serviceCIDR,
		"--leader-elect=false",
		"--profiling=false",
	}}, nil
}

func (c *config) scheduler() (*daemon, error) {
	bin, err := c.bin("kubernetes", "kube-scheduler")
	if err != nil {
		return nil, err
	}
	kc := c.path("scheduler.kubeconfig")
	return &daemon{Name: nameScheduler, Argv: []string{bin,
		"--kubeconfig=" + kc,
		"--authentication-kubeconfig=" + kc,
		"--authorization-kubeconfig=" + kc,
		"--bind-address=127.0.0.1",
		"--secure-port=10259",
		"--leader-elect=false",
		"--profiling=false",
	}}, nil
}

// coreDNS runs CoreDNS as a host process on HOST_IP:53; the kube-dns Service (10.96.0.10) points
// at it through a hand-made EndpointSlice. There is no forward plugin: the lab has no upstream
// resolver it may rely on, so only cluster names resolve.
func (c *config) coreDNS() (*daemon, error) {
	bin, err := c.bin("coredns", "coredns")
	if err != nil {
		return nil, err
	}
	corefile := fmt.Sprintf(`.:53 {
    bind %s
    errors
    health 127.0.0.1:8181
    ready 127.0.0.1:8182
    kubernetes %s in-addr.arpa ip6.arpa {
        kubeconfig %s
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 30
    }
    cache 30
    loop
    loadbalance
}
`, hostIP, clusterDomain, c.path("coredns.kubeconfig"))
	path := c.path("coredns", "Corefile")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create CoreDNS directory: %w", err)
	}
	if err := os.WriteFile(path, []byte(corefile), 0o644); err != nil {
		return nil, fmt.Errorf("write Corefile: %w", err)
	}
	return &daemon{Name: nameCoreDNS, Argv: []string{bin, "-conf", path}}, nil
}
