package cluster

import (
	"fmt"
	"os"
	"strings"
)

const ipForwardPath = "/proc/sys/net/ipv4/ip_forward"

// setupHostNetwork creates the bridge with HOST_IP, turns on forwarding (remembering the old
// value for down) and lets traffic through the host's FORWARD chain to and from the bridge,
// which a host firewall with a DROP policy would otherwise block.
func (c *config) setupHostNetwork() error {
	old, err := os.ReadFile(ipForwardPath)
	if err != nil {
		return fmt.Errorf("read %s: %w", ipForwardPath, err)
	}
	// Keep the first saved value: a second up after a partial one must not record our own "1".
	if _, err := os.Stat(c.path("ip_forward")); os.IsNotExist(err) {
		if err := os.WriteFile(c.path("ip_forward"), old, 0o644); err != nil {
			return fmt.Errorf("save old ip_forward: %w", err)
		}
	}
	if err := os.WriteFile(ipForwardPath, []byte("1\n"), 0o644); err != nil {
		return fmt.Errorf("enable ip_forward: %w", err)
	}
	steps := [][]string{
		{"ip", "link", "add", bridgeName, "type", "bridge"},
		{"ip", "addr", "add", fmt.Sprintf("%s/%d", hostIP, nodeNetPrefix), "dev", bridgeName},
		{"ip", "link", "set", bridgeName, "up"},
	}
	for _, s := range steps {
		if _, err := run(s[0], s[1:]...); err != nil {
			return fmt.Errorf("create bridge: %w", err)
		}
	}
	for _, dir := range []string{"-i", "-o"} {
		if _, err := run("iptables", "-w", "-I", "FORWARD", dir, bridgeName, "-m", "comment", "--comment", forwardComment, "-j", "ACCEPT"); err != nil {
			return fmt.Errorf("allow forwarding through %s: %w", bridgeName, err)
		}
	}
	return nil
}

// setupNode creates a node's netns, joins it to the bridge and routes its pod CIDR.
func (c *config) setupNode(n node, all []node) error {
	in := func(args ...string) []string { return append([]string{"ip", "-n", n.Netns()}, args...) }
	steps := [][]string{
		{"ip", "netns", "add", n.Netns()},
		{"ip", "link", "add", n.HostVeth(), "type", "veth", "peer", "name", "eth0", "netns", n.Netns()},
		{"ip", "link", "set", n.HostVeth(), "master", bridgeName, "up"},
		in("link", "set", "lo", "up"),
		in("addr", "add", fmt.Sprintf("%s/%d", n.IP(), nodeNetPrefix), "dev", "eth0"),
		in("link", "set", "eth0", "up"),
		in("route", "add", "default", "via", hostIP),
		{"ip", "route", "add", n.PodCIDR(), "via", n.IP()},
		{"ip", "netns", "exec", n.Netns(), "sysctl", "-qw", "net.ipv4.ip_forward=1"},
	}
	// Direct routes to the other nodes' pods keep node-to-node pod traffic off the host's
	// forwarding path (the host route would work too, at the cost of a detour and redirects).
	for _, o := range all {
		if o.Index != n.Index {
			steps = append(steps, in("route", "add", o.PodCIDR(), "via", o.IP()))
		}
	}
	for _, s := range steps {
		if _, err := run(s[0], s[1:]...); err != nil {
			return fmt.Errorf("set up node %s: %w", n.Name, err)
		}
	}
	return nil
}

// teardownNetwork removes every lab network object that exists, whether or not the state
// directory still describes it: netns named amblab-*, host links named amblab*, routes into the
// pod range, our FORWARD rules; then restores ip_forward. Errors are collected, not fatal, so one
// leftover does not stop the rest from being removed.
func (c *config) teardownNetwork() []error {
	var errs []error
	for _, ns := range labNetns() {
		killNetnsProcesses(ns)
		if _, err := run("ip", "netns", "del", ns); err != nil {
			errs = append(errs, err)
		}
	}
	for _, link := range labLinks() {
		if _, err := run("ip", "link", "del", link); err != nil && linkExists(link) {
			errs = append(errs, err)
		}
	}
	if out, err := run("ip", "-4", "route", "show", "root", podCIDRs); err == nil {
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			if f := strings.Fields(line); len(f) > 0 {
				if _, err := run("ip", "route", "del", f[0]); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	if out, err := run("iptables", "-w", "-S", "FORWARD"); err == nil {
		for _, rule := range strings.Split(out, "\n") {
			if strings.HasPrefix(rule, "-A FORWARD ") && strings.Contains(rule, "--comment "+forwardComment+" ") {
				args := append([]string{"-w", "-D"}, strings.Fields(rule)[1:]...)
				if _, err := run("iptables", args...); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	if old, err := os.ReadFile(c.path("ip_forward")); err == nil {
		if err := os.WriteFile(ipForwardPath, old, 0o644); err != nil {
			errs = append(errs, fmt.Errorf("restore ip_forward: %w", err))
		}
	}
	return errs
}

// labNetns lists the network namespaces the lab owns: its nodes' and any the node agents
// created for pods under the same prefix.
func labNetns() []string {
	out, err := run("ip", "netns", "list")
	if err != nil {
		return nil
	}
	var names []string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], netnsPrefix) {
			names = append(names, f[0])
		}
	}
	return names
}

// killNetnsProcesses kills whatever still runs inside a netns, which would otherwise keep it
// (and its veths) alive after its name is deleted.
func killNetnsProcesses(ns string) {
	out, err := run("ip", "netns", "pids", ns)
	if err != nil {
		return
	}
	for _, p := range strings.Fields(out) {
		_, _ = run("kill", "-KILL", p)
	}
}

// labLinks lists host links named amblab*: the bridge and the nodes' host-side veths.
func labLinks() []string {
	out, err := run("ip", "-o", "link", "show")
	if err != nil {
		return nil
	}
	var names []string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
		if strings.HasPrefix(name, "amblab") {
			names = append(names, name)
		}
	}
	// Veths first, the bridge last (deleting a veth also removes its peer, so later names may
	// already be gone; the caller tolerates that).
	for i, n := range names {
		if n == bridgeName {
			names = append(append(names[:i:i], names[i+1:]...), bridgeName)
			break
		}
	}
	return names
}

func linkExists(name string) bool {
	_, err := os.Stat("/sys/class/net/" + name)
	return err == nil
}
