package agent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// Pod networking is routed, not bridged: each pod's eth0 is a /32 with the node's gateway
// address as its only neighbour, and the node side of the veth carries the same gateway address
// and a /32 route to the pod. Every packet between pods therefore crosses the node's routing
// and iptables (kube-proxy's DNAT and its reverse), which a bridge would let replies skip.

// NetnsPrefix names every pod network namespace this lab creates, so cleanup can find leftovers.
const NetnsPrefix = "amblab-pod-"

// ipam hands out addresses from the node's pod CIDR: .1 is the gateway, the rest are pods.
type ipam struct {
	mu      sync.Mutex
	network *net.IPNet
	used    map[string]bool
	next    int
}

func newIPAM(cidr string) (*ipam, error) {
	_, network, err := net.ParseCIDR(cidr)
	if err != nil {
		return nil, fmt.Errorf("--pod-cidr %q: %w", cidr, err)
	}
	if network.IP.To4() == nil {
		return nil, fmt.Errorf("--pod-cidr %q: only IPv4 is supported", cidr)
	}
	ones, bits := network.Mask.Size()
	if bits-ones < 2 || bits-ones > 16 {
		return nil, fmt.Errorf("--pod-cidr %q: want a prefix between /16 and /30", cidr)
	}
	return &ipam{network: network, used: map[string]bool{}, next: 2}, nil
}

func (a *ipam) size() int {
	ones, bits := a.network.Mask.Size()
	return 1 << (bits - ones)
}

func (a *ipam) addr(offset int) net.IP {
	base := a.network.IP.To4()
	v := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	v += uint32(offset)
	return net.IPv4(byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

func (a *ipam) gateway() net.IP { return a.addr(1) }

// allocate returns a free address, cycling so a freed address is not reused at once (late
// packets for a deleted pod should not reach its successor).
func (a *ipam) allocate() (net.IP, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := a.size()
	for i := 0; i < n; i++ {
		off := a.next
		a.next++
		if a.next >= n-1 {
			a.next = 2
		}
		if off < 2 || off >= n-1 {
			continue
		}
		ip := a.addr(off)
		if !a.used[ip.String()] {
			a.used[ip.String()] = true
			return ip, nil
		}
	}
	return nil, fmt.Errorf("pod CIDR %s is exhausted", a.network)
}

func (a *ipam) release(ip string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.used, ip)
}

// podNetwork is a pod's network namespace and its veth.
type podNetwork struct {
	Netns    string // name under /run/netns
	HostVeth string
	IP       net.IP
	Gateway  net.IP
}

// NetnsPath is the file processes join.
func (n *podNetwork) NetnsPath() string { return "/run/netns/" + n.Netns }

// podNetworkNames derives short, stable interface and namespace names from the pod's UID.
func podNetworkNames(uid string) (netns, hostVeth string) {
	sum := sha256.Sum256([]byte(uid))
	h := hex.EncodeToString(sum[:])[:10]
	return NetnsPrefix + h, "lv" + h
}

func run(ctx context.Context, name string, args ...string) error {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// setUpPodNetwork creates the namespace and veth and routes the pod's address. On failure
// it removes what it made.
func setUpPodNetwork(ctx context.Context, uid string, ip, gateway net.IP) (n *podNetwork, err error) {
	netns, veth := podNetworkNames(uid)
	n = &podNetwork{Netns: netns, HostVeth: veth, IP: ip, Gateway: gateway}
	defer func() {
		if err != nil {
			tearDownPodNetwork(context.Background(), n)
		}
	}()
	inPod := func(args ...string) error {
		return run(ctx, "ip", append([]string{"-n", netns}, args...)...)
	}
	// A namespace of the same name is a leftover of this pod from a previous agent.
	if _, statErr := os.Stat(n.NetnsPath()); statErr == nil {
		killNetnsProcesses(ctx, netns)
		_ = tearDownPodNetwork(ctx, &podNetwork{Netns: netns, HostVeth: veth})
	}
	steps := []func() error{
		func() error { return run(ctx, "ip", "netns", "add", netns) },
		func() error { return inPod("link", "set", "lo", "up") },
		func() error {
			return run(ctx, "ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", netns)
		},
		func() error { return run(ctx, "ip", "addr", "add", gateway.String()+"/32", "dev", veth) },
		func() error { return run(ctx, "ip", "link", "set", veth, "up") },
		func() error {
			return run(ctx, "ip", "route", "replace", ip.String()+"/32", "dev", veth, "src", gateway.String())
		},
		func() error { return inPod("addr", "add", ip.String()+"/32", "dev", "eth0") },
		func() error { return inPod("link", "set", "eth0", "up") },
		func() error { return inPod("route", "add", gateway.String()+"/32", "dev", "eth0", "scope", "link") },
		func() error {
			return inPod("route", "add", "default", "via", gateway.String(), "dev", "eth0", "src", ip.String())
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return n, err
		}
	}
	return n, nil
}

// tearDownPodNetwork removes the namespace (which takes eth0 and so the veth pair with it) and
// the route. Safe to call on a half-made network and more than once.
func tearDownPodNetwork(ctx context.Context, n *podNetwork) error {
	var errs []string
	if n.IP != nil {
		_ = run(ctx, "ip", "route", "del", n.IP.String()+"/32", "dev", n.HostVeth)
	}
	_ = run(ctx, "ip", "link", "del", n.HostVeth)
	if err := run(ctx, "ip", "netns", "del", n.Netns); err != nil && !strings.Contains(err.Error(), "No such file") {
		errs = append(errs, err.Error())
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// removeLeftovers tears down what a previous agent on this node left behind (after a crash or
// SIGKILL): every pod directory under podsDir records its network, and on start the agent owns
// no pods, so all of them are stale. The API server's pods are recreated from scratch.
func removeLeftovers(ctx context.Context, podsDir string) {
	entries, err := os.ReadDir(podsDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		dir := filepath.Join(podsDir, e.Name())
		if data, err := os.ReadFile(filepath.Join(dir, "network")); err == nil {
			fields := strings.Fields(string(data))
			if len(fields) >= 2 {
				n := &podNetwork{Netns: fields[0], HostVeth: fields[1]}
				if len(fields) >= 3 {
					n.IP = net.ParseIP(fields[2])
				}
				killNetnsProcesses(ctx, n.Netns)
				_ = tearDownPodNetwork(ctx, n)
			}
		}
		_ = os.RemoveAll(dir)
	}
}

// killNetnsProcesses SIGKILLs whatever still runs in a namespace about to be deleted.
func killNetnsProcesses(ctx context.Context, netns string) {
	out, err := exec.CommandContext(ctx, "ip", "netns", "pids", netns).Output()
	if err != nil {
		return
	}
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil && pid > 1 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// recordNetwork writes the pod's network to its directory for removeLeftovers.
func recordNetwork(dir string, n *podNetwork) error {
	return os.WriteFile(filepath.Join(dir, "network"), []byte(fmt.Sprintf("%s %s %s\n", n.Netns, n.HostVeth, n.IP)), 0o644)
}
