package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// componentError names the component whose start failed, so up can show its log.
type componentError struct {
	Component string
	Err       error
}

func (e *componentError) Error() string { return e.Component + ": " + e.Err.Error() }
func (e *componentError) Unwrap() error { return e.Err }

// Up starts the whole cluster and waits until it is usable. On failure it shows the failing
// component's log and removes everything it created.
func Up(args []string) error {
	c, err := parseFlags("up", args)
	if err != nil {
		return err
	}
	if err := requireRoot("up"); err != nil {
		return err
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	began := time.Now()

	if _, err := os.Stat(c.path("pids")); err == nil {
		if failures := c.report(ctx, nil); failures == 0 {
			fmt.Println("lab cluster is already up and healthy")
			c.printUsage()
			return nil
		}
		// Some of it runs but not all: restarting would throw away the cluster's objects, so
		// leave the choice to the user. With nothing running (a reboot with a persistent state
		// dir, a killed up) the leftovers are removed without asking.
		if c.anyAlive() {
			c.report(ctx, os.Stdout)
			return fmt.Errorf("a lab cluster is partly running (above); run ./mesh lab down first, or see %s", c.path("logs"))
		}
		fmt.Println("lab: removing the leftovers of a cluster that no longer runs")
		c.printErrors(c.down())
	} else if ns, links := labNetns(), labLinks(); len(ns) > 0 || len(links) > 0 {
		// Lab network objects without our state: another lab (a different state dir) or the
		// remains of one whose state was deleted. Names are machine-wide, so starting now would
		// collide with it, and our failure clean-up would tear it down: let the user decide.
		return fmt.Errorf("lab network objects exist but %s does not (netns %v, links %v): another lab runs with a different AMBIENT_LAB_STATE, or remove the leftovers with ./mesh lab down",
			c.State, ns, links)
	}

	if err := c.startAll(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "lab up failed: %v\n", err)
		var ce *componentError
		if errors.As(err, &ce) {
			if _, statErr := os.Stat(c.path("logs", ce.Component+".log")); statErr == nil {
				fmt.Fprintf(os.Stderr, "--- last lines of %s:\n%s\n---\n", c.path("logs", ce.Component+".log"), c.logTail(ce.Component, 40))
			}
		}
		fmt.Fprintln(os.Stderr, "lab: tearing down what was started")
		c.printErrors(c.down())
		return err
	}
	fmt.Printf("lab cluster up in %.1f s: %d node(s)\n", time.Since(began).Seconds(), len(c.Nodes))
	c.printUsage()
	return nil
}

// startAll brings the cluster up stage by stage; each wait also fails fast if the process it
// waits for has exited.
func (c *config) startAll(ctx context.Context) error {
	for _, tool := range []string{"ip", "iptables", "nsenter"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s not found on PATH (Debian: apt-get install iproute2 iptables util-linux)", tool)
		}
	}
	// Resolve every binary before creating anything, so a missing build fails cleanly.
	etcd, err := c.etcd()
	if err != nil {
		return err
	}
	api, err := c.apiServer()
	if err != nil {
		return err
	}
	cm, err := c.controllerManager()
	if err != nil {
		return err
	}
	sched, err := c.scheduler()
	if err != nil {
		return err
	}
	for _, b := range [][2]string{{"kubernetes", "kube-proxy"}, {"coredns", "coredns"}} {
		if _, err := c.bin(b[0], b[1]); err != nil {
			return err
		}
	}
	for _, d := range []string{"pids", "logs", "etcd"} {
		if err := os.MkdirAll(c.path(d), 0o755); err != nil {
			return fmt.Errorf("create state directory: %w", err)
		}
	}
	_ = os.Chmod(c.path("etcd"), 0o700) // etcd refuses a data dir others can read
	if err := os.WriteFile(c.path("nodes"), []byte(strconv.Itoa(len(c.Nodes))+"\n"), 0o644); err != nil {
		return fmt.Errorf("record node count: %w", err)
	}
	step := time.Now()
	if err := c.writePKI(); err != nil {
		return err
	}
	if err := c.setupHostNetwork(); err != nil {
		return err
	}
	for _, n := range c.Nodes {
		if err := c.setupNode(n, c.Nodes); err != nil {
			return err
		}
	}
	c.logf("certificates and network ready (%.1f s)", time.Since(step).Seconds())

	if err := c.start(etcd); err != nil {
		return &componentError{nameEtcd, err}
	}
	if err := c.waitFor(ctx, etcd, "", c.etcdHealth()); err != nil {
		return err
	}
	if err := c.start(api); err != nil {
		return &componentError{nameAPIServer, err}
	}
	admin, err := c.adminHTTP()
	if err != nil {
		return err
	}
	if err := c.waitFor(ctx, api, "", c.apiServerReady(admin)); err != nil {
		return err
	}
	for _, d := range []*daemon{cm, sched} {
		if err := c.start(d); err != nil {
			return &componentError{d.Name, err}
		}
	}
	cs, err := c.clientset()
	if err != nil {
		return err
	}
	// kube-system is created by the apiserver shortly after it reports ready: retry briefly.
	if err := c.waitFor(ctx, api, "bootstrap objects created", func(ctx context.Context) error { return bootstrap(ctx, cs) }); err != nil {
		return fmt.Errorf("create bootstrap objects: %w", err)
	}
	dns, err := c.coreDNS()
	if err != nil {
		return err
	}
	if err := c.start(dns); err != nil {
		return &componentError{nameCoreDNS, err}
	}
	type nodeDaemons struct{ proxy, agent *daemon }
	perNode := map[string]nodeDaemons{}
	for _, n := range c.Nodes {
		proxy, err := c.kubeProxy(n)
		if err != nil {
			return err
		}
		agent, err := c.agent(n)
		if err != nil {
			return err
		}
		for _, d := range []*daemon{proxy, agent} {
			if err := c.start(d); err != nil {
				return &componentError{d.Name, err}
			}
		}
		perNode[n.Name] = nodeDaemons{proxy, agent}
	}
	waits := []wait{
		{cm, "", controllerManagerHealth()},
		{cm, "controllers running (default ServiceAccount, kube-root-ca.crt)", controllersRunning(cs)},
		{sched, "", schedulerHealth()},
		{dns, "", coreDNSReady()},
	}
	if !c.NoWaitNodes {
		for _, n := range c.Nodes {
			nd := perNode[n.Name]
			waits = append(waits, wait{nd.agent, n.Name + " Ready", c.nodeReady(cs, n)}, wait{nd.proxy, "", kubeProxyHealth(n)})
		}
	}
	for _, w := range waits {
		if err := c.waitFor(ctx, w.d, w.what, w.ok); err != nil {
			return err
		}
	}
	if c.NoWaitNodes {
		c.logf("not waiting for nodes (--no-wait-nodes); './mesh lab status' shows them")
	}
	return nil
}

// permanentError stops a wait at once: retrying cannot help (an object the apiserver rejects).
type permanentError struct{ Err error }

func (e *permanentError) Error() string { return e.Err.Error() }

// wait pairs a started daemon with the probe that says it is ready.
type wait struct {
	d    *daemon
	what string
	ok   check
}

// waitFor polls ok until it passes (then logs what, or "<name> ready"), d exits, the stage
// timeout passes or ctx ends.
func (c *config) waitFor(ctx context.Context, d *daemon, what string, ok check) error {
	began := time.Now()
	deadline := began.Add(c.Timeout)
	var last error
	for {
		if dead, how := d.dead(); dead {
			return &componentError{d.Name, fmt.Errorf("exited during start-up (%s)", how)}
		}
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		last = ok(pctx)
		cancel()
		var perm *permanentError
		if errors.As(last, &perm) {
			return &componentError{d.Name, perm.Err}
		}
		if last == nil {
			if what == "" {
				what = d.Name + " ready"
			}
			c.logf("%s (%.1f s)", what, time.Since(began).Seconds())
			return nil
		}
		if ctx.Err() != nil {
			// Not the component's fault: no log tail.
			return fmt.Errorf("interrupted while waiting for %s", d.Name)
		}
		if time.Now().After(deadline) {
			return &componentError{d.Name, fmt.Errorf("not ready after %s: %v", c.Timeout, last)}
		}
		select {
		case <-ctx.Done():
		case <-d.exited:
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func (c *config) logf(format string, args ...any) {
	fmt.Printf("lab: "+format+"\n", args...)
}

func (c *config) printUsage() {
	kubectl := "./mesh lab kubectl get nodes"
	if c.State != defaultState {
		kubectl = "AMBIENT_LAB_STATE=" + c.State + " " + kubectl
	}
	var nodes []string
	for _, n := range c.savedNodes() {
		nodes = append(nodes, fmt.Sprintf("%s (%s, pods %s)", n.Name, n.IP(), n.PodCIDR()))
	}
	fmt.Printf(`  nodes: %s
  use it:
    export KUBECONFIG=%s
    %s
  health: ./mesh lab status     stop: ./mesh lab down     logs: %s/
`, strings.Join(nodes, ", "), c.path("admin.kubeconfig"), kubectl, c.path("logs"))
}

func (c *config) printErrors(errs []error) {
	for _, e := range errs {
		fmt.Fprintf(os.Stderr, "lab: cleanup: %v\n", e)
	}
}

func requireRoot(cmd string) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%s must run as root (it creates network namespaces, a bridge and iptables rules); try: sudo ./mesh lab %s", cmd, cmd)
	}
	return nil
}
