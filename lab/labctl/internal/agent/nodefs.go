package agent

import (
	"os"
	"path/filepath"
	"sort"
	"strings"

	"dev.ambient/lab/labctl/internal/podinit"
)

// The lab's nodes share one host filesystem, but on a real cluster each node has its own
// /etc/cni/net.d, /opt/cni/bin, /var/run/<daemon> and /var/lib/<daemon>: a DaemonSet writing its
// CNI configuration or its socket there must not see the other node's. So the agent maps the
// hostPath volumes it serves under those node-owned prefixes to <node state>/root/<path>, and runs
// CNI plugins with the same view (nodeView). Everything else (/run/netns, where the agent mounts
// every pod's network namespace, /proc, /sys, the programs) stays the host's.

// nodeOwned lists the directories a node owns, after /var/run is folded into /run (the two are one
// directory on every distribution the lab supports, and Kubernetes manifests use both spellings).
var nodeOwned = []string{"/etc/cni", "/opt/cni", "/var/lib", "/run"}

// sharedWithHost are exceptions inside nodeOwned: the pod network namespaces live in /run/netns
// on the host, and every node's pods must be reachable there (ip netns mounts them there).
var sharedWithHost = []string{"/run/netns"}

func nodeRoot(stateDir string) string { return filepath.Join(stateDir, "root") }

// canonicalHostPath cleans p and folds /var/run into /run.
func canonicalHostPath(p string) string {
	p = filepath.Clean(p)
	if p == "/var/run" || strings.HasPrefix(p, "/var/run/") {
		p = "/run" + strings.TrimPrefix(p, "/var/run")
	}
	return p
}

func under(p, dir string) bool { return p == dir || strings.HasPrefix(p, dir+"/") }

// onNode returns where the host path p lives for the node whose root is root: under root when the
// node owns it, else p itself. The paths /run and /var/lib themselves stay the host's (a pod
// mounting all of /run gets the host's), only their children are per node.
func onNode(root, p string) string {
	c := canonicalHostPath(p)
	for _, s := range sharedWithHost {
		if under(c, s) {
			return p
		}
	}
	for _, o := range nodeOwned {
		if under(c, o) && (c != o || o == "/etc/cni" || o == "/opt/cni") {
			return filepath.Join(root, c)
		}
	}
	return p
}

// nodeView is the node's own filesystem as bind mounts over the host's: /etc/cni, /opt/cni and
// every directory the node's pods created under /run and /var/lib. CNI plugins run with it, so a
// plugin reads the files and sockets its DaemonSet wrote on this node.
func nodeView(root string) []podinit.Mount {
	var mounts []podinit.Mount
	for _, dir := range []string{"/etc/cni", "/opt/cni"} {
		if info, err := os.Stat(filepath.Join(root, dir)); err == nil && info.IsDir() {
			mounts = append(mounts, podinit.Mount{Source: filepath.Join(root, dir), Target: dir})
		}
	}
	for _, parent := range []string{"/run", "/var/lib"} {
		entries, err := os.ReadDir(filepath.Join(root, parent))
		if err != nil {
			continue
		}
		names := make([]string, 0, len(entries))
		for _, e := range entries {
			if e.IsDir() && !under(filepath.Join(parent, e.Name()), "/run/netns") {
				names = append(names, e.Name())
			}
		}
		sort.Strings(names)
		for _, n := range names {
			mounts = append(mounts, podinit.Mount{Source: filepath.Join(root, parent, n), Target: filepath.Join(parent, n)})
		}
	}
	return mounts
}
