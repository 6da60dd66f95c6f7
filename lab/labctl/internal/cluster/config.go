// Package cluster starts, stops and reports on the whole lab cluster: the control plane as host
// processes, N nodes as network namespaces on a host bridge, kube-proxy and a node agent per
// node, and CoreDNS. The topology is fixed (see lab/README.md); only the node count varies.
package cluster

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Fixed addresses of the lab network. Pod CIDRs are pre-assigned per node, so the
// controller-manager does not allocate them.
const (
	bridgeName     = "amblab0"
	hostIP         = "10.200.0.1"
	nodeNetPrefix  = 24
	podCIDRs       = "10.244.0.0/16"
	serviceCIDR    = "10.96.0.0/16"
	kubeServiceIP  = "10.96.0.1"
	dnsServiceIP   = "10.96.0.10"
	clusterDomain  = "cluster.local"
	apiServerPort  = 6443
	netnsPrefix    = "amblab-"
	defaultState   = "/run/ambient-lab"
	forwardComment = "ambient-lab"
)

var apiServerURL = fmt.Sprintf("https://%s:%d", hostIP, apiServerPort)

// node is one lab node: a network namespace joined to the host bridge by a veth pair.
type node struct {
	Index int
	Name  string
}

func (n node) Netns() string     { return netnsPrefix + n.Name }
func (n node) NetnsPath() string { return "/run/netns/" + n.Netns() }
func (n node) HostVeth() string  { return fmt.Sprintf("amblab-v%d", n.Index) }
func (n node) IP() string        { return fmt.Sprintf("10.200.0.%d", 10+n.Index) }
func (n node) PodCIDR() string   { return fmt.Sprintf("10.244.%d.0/24", n.Index) }

func nodesOf(count int) []node {
	nodes := make([]node, count)
	for i := range nodes {
		nodes[i] = node{Index: i + 1, Name: fmt.Sprintf("lab-node-%d", i+1)}
	}
	return nodes
}

// binFlags collects repeated --bin <component>=<dir> flags.
type binFlags map[string]string

func (b binFlags) String() string {
	var parts []string
	for k, v := range b {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func (b binFlags) Set(s string) error {
	comp, dir, ok := strings.Cut(s, "=")
	if !ok || comp == "" || dir == "" {
		return fmt.Errorf("want <component>=<dir>, got %q", s)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	b[comp] = abs
	return nil
}

// config is what every subcommand needs: where the state lives and where the binaries are.
type config struct {
	State       string
	Nodes       []node
	Bins        binFlags
	Repo        string
	NoWaitNodes bool
	Timeout     time.Duration
}

// parseFlags parses the flags common to up, down and status; up uses all of them.
func parseFlags(cmd string, args []string) (*config, error) {
	fs := flag.NewFlagSet("labctl "+cmd, flag.ContinueOnError)
	state := os.Getenv("AMBIENT_LAB_STATE")
	if state == "" {
		state = defaultState
	}
	c := &config{Bins: binFlags{}}
	nodes := fs.Int("nodes", 2, "number of nodes (up)")
	fs.StringVar(&c.State, "state", state, "state directory (env AMBIENT_LAB_STATE)")
	fs.Var(c.Bins, "bin", "`component=dir` holding a component's binaries, from lab/build/build.sh (repeatable)")
	fs.StringVar(&c.Repo, "repo", "", "repository root, for lab/images.yaml (up)")
	fs.BoolVar(&c.NoWaitNodes, "no-wait-nodes", false, "do not wait for nodes to be Ready and kube-proxy healthy (development)")
	fs.DurationVar(&c.Timeout, "timeout", 120*time.Second, "how long up waits for each stage")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0) // the usage is printed already
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if *nodes < 1 || *nodes > 200 {
		return nil, fmt.Errorf("--nodes must be between 1 and 200, got %d", *nodes)
	}
	abs, err := filepath.Abs(c.State)
	if err != nil {
		return nil, fmt.Errorf("state directory %q: %w", c.State, err)
	}
	// The state directory is removed recursively by down: refuse anything that could be a
	// system directory.
	if abs == "/" || strings.Count(abs, "/") < 2 {
		return nil, fmt.Errorf("state directory %q is too close to / to be removed safely; pick e.g. /run/ambient-lab", abs)
	}
	c.State = abs
	c.Nodes = nodesOf(*nodes)
	return c, nil
}

// path joins elements under the state directory.
func (c *config) path(elem ...string) string {
	return filepath.Join(append([]string{c.State}, elem...)...)
}

func (c *config) pki(name string) string { return c.path("pki", name) }

// bin finds a binary of a component given with --bin.
func (c *config) bin(comp, name string) (string, error) {
	dir, ok := c.Bins[comp]
	if !ok {
		return "", fmt.Errorf("no --bin %s=<dir> given (lab/lab.sh passes lab/build/build.sh's output)", comp)
	}
	p := filepath.Join(dir, name)
	if st, err := os.Stat(p); err != nil || st.IsDir() {
		return "", fmt.Errorf("binary %s not found in %s (build it with lab/build/build.sh %s)", name, dir, comp)
	}
	return p, nil
}

// savedNodes reads the node list written by up, so down and status need no --nodes.
func (c *config) savedNodes() []node {
	data, err := os.ReadFile(c.path("nodes"))
	if err != nil {
		return nil
	}
	var n int
	if _, err := fmt.Sscanf(strings.TrimSpace(string(data)), "%d", &n); err != nil || n < 1 {
		return nil
	}
	return nodesOf(n)
}
