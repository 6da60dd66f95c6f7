package agent

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"dev.ambient/lab/labctl/internal/images"
	"dev.ambient/lab/labctl/internal/podinit"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// podRuntime runs one pod: its network, its files, its containers and their probes. All state
// is guarded by mu; the notify callback is always called without it held.
type podRuntime struct {
	agent *Agent
	dir   string

	mu             sync.Mutex
	pod            *corev1.Pod // as the pod controller gave it (env resolved)
	network        *podNetwork
	podIP          string
	initialized    bool
	initFailed     bool
	containers     []*containerState
	inits          []*containerState
	conditionMsg   string // why the pod cannot start, when it cannot
	startTime      metav1.Time
	conditionSince map[corev1.PodConditionType]conditionSince
	stopping       bool
	done           chan struct{} // closed when the pod is fully torn down
	setupDone      chan struct{} // closed when start has stopped touching the network
	ctx            context.Context
	cancel         context.CancelFunc
}

func newPodRuntime(a *Agent, pod *corev1.Pod) *podRuntime {
	ctx, cancel := context.WithCancel(context.Background())
	p := &podRuntime{
		agent: a, pod: pod,
		dir:            filepath.Join(a.podsDir(), string(pod.UID)),
		startTime:      metav1.Now(),
		conditionSince: map[corev1.PodConditionType]conditionSince{},
		done:           make(chan struct{}),
		setupDone:      make(chan struct{}),
		ctx:            ctx, cancel: cancel,
	}
	for _, c := range pod.Spec.InitContainers {
		p.inits = append(p.inits, newContainerState(c, filepath.Join(p.dir, "logs", c.Name+".log"), true))
	}
	for _, c := range pod.Spec.Containers {
		p.containers = append(p.containers, newContainerState(c, filepath.Join(p.dir, "logs", c.Name+".log"), false))
	}
	return p
}

func (p *podRuntime) key() string { return p.pod.Namespace + "/" + p.pod.Name }

func (p *podRuntime) logf(format string, args ...any) {
	log.Printf("pod %s: %s", p.key(), fmt.Sprintf(format, args...))
}

// start brings the pod up; it runs on its own goroutine and retries setup until stopped.
func (p *podRuntime) start() {
	if !p.setUpWithRetry() {
		return
	}
	p.mu.Lock()
	p.conditionMsg = ""
	p.mu.Unlock()
	p.agent.notify(p)

	if !p.runInits() {
		return
	}
	for _, c := range p.containers {
		go p.supervise(c)
	}
}

// setUpWithRetry retries setup with backoff until it works or the pod stops.
func (p *podRuntime) setUpWithRetry() bool {
	defer close(p.setupDone)
	delay := time.Second
	for {
		err := p.setUp()
		if err == nil {
			return p.ctx.Err() == nil
		}
		p.logf("setup failed: %v", err)
		p.mu.Lock()
		p.conditionMsg = err.Error()
		p.mu.Unlock()
		p.agent.notify(p)
		select {
		case <-p.ctx.Done():
			return false
		case <-time.After(delay):
		}
		if delay < 30*time.Second {
			delay *= 2
		}
	}
}

// setUp makes the pod's directory, network and files; on error it leaves nothing half made.
func (p *podRuntime) setUp() (err error) {
	if err := os.MkdirAll(filepath.Join(p.dir, "logs"), 0o755); err != nil {
		return err
	}
	ip := p.agent.cfg.NodeIP
	if !p.pod.Spec.HostNetwork {
		addr, err := p.agent.ipam.allocate()
		if err != nil {
			return err
		}
		n, err := setUpPodNetwork(p.ctx, string(p.pod.UID), addr, p.agent.ipam.gateway())
		if err != nil {
			p.agent.ipam.release(addr.String())
			return fmt.Errorf("pod network: %w", err)
		}
		if err := recordNetwork(p.dir, n); err != nil {
			_ = tearDownPodNetwork(context.Background(), n)
			p.agent.ipam.release(addr.String())
			return err
		}
		p.mu.Lock()
		p.network = n
		p.mu.Unlock()
		ip = addr.String()
		if err := p.agent.cni.add(p.ctx, p.pod, n); err != nil {
			return fmt.Errorf("CNI chain: %w", err)
		}
	}
	p.mu.Lock()
	p.podIP = ip
	p.mu.Unlock()
	if err := p.writeEtcFiles(ip); err != nil {
		return err
	}
	w := &volumeWriter{client: p.agent.client, nodeName: p.agent.cfg.Name, pod: p.pod, dir: p.dir, nodeRoot: nodeRoot(p.agent.cfg.StateDir)}
	refresh, err := w.writeAll(p.ctx)
	if err != nil {
		return err
	}
	if !refresh.IsZero() {
		go p.refreshVolumes(w, refresh)
	}
	return nil
}

// refreshVolumes rewrites the pod's volumes before their projected tokens expire.
func (p *podRuntime) refreshVolumes(w *volumeWriter, at time.Time) {
	for {
		select {
		case <-p.ctx.Done():
			return
		case <-time.After(time.Until(at)):
		}
		next, err := w.writeAll(p.ctx)
		if err != nil {
			p.logf("volume refresh failed, retrying in 10 s: %v", err)
			at = time.Now().Add(10 * time.Second)
			continue
		}
		at = next
	}
}

// writeEtcFiles writes the pod's resolv.conf and hosts, mounted over /etc's.
func (p *podRuntime) writeEtcFiles(ip string) error {
	cfg := p.agent.cfg
	ns := p.pod.Namespace
	var resolv string
	switch {
	case p.pod.Spec.DNSPolicy == corev1.DNSDefault || (p.pod.Spec.HostNetwork && p.pod.Spec.DNSPolicy != corev1.DNSClusterFirstWithHostNet):
		data, err := os.ReadFile("/etc/resolv.conf")
		if err != nil {
			return err
		}
		resolv = string(data)
	default:
		resolv = fmt.Sprintf("nameserver %s\nsearch %s.svc.%s svc.%s %s\noptions ndots:5\n",
			cfg.ClusterDNS, ns, cfg.ClusterDomain, cfg.ClusterDomain, cfg.ClusterDomain)
	}
	if dc := p.pod.Spec.DNSConfig; dc != nil {
		for _, s := range dc.Nameservers {
			resolv += "nameserver " + s + "\n"
		}
		if len(dc.Searches) > 0 {
			resolv += "search " + strings.Join(dc.Searches, " ") + "\n"
		}
	}
	hostname := p.hostname()
	hosts := fmt.Sprintf("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n%s\t%s\n", ip, hostname)
	for _, ha := range p.pod.Spec.HostAliases {
		hosts += ha.IP + "\t" + strings.Join(ha.Hostnames, " ") + "\n"
	}
	if err := writeFiles(filepath.Join(p.dir, "etc"), map[string][]byte{
		"resolv.conf": []byte(resolv), "hosts": []byte(hosts), "hostname": []byte(hostname + "\n"),
	}, 0o644); err != nil {
		return fmt.Errorf("pod /etc files: %w", err)
	}
	return nil
}

func (p *podRuntime) hostname() string {
	if p.pod.Spec.HostNetwork {
		h, _ := os.Hostname()
		return h
	}
	if p.pod.Spec.Hostname != "" {
		return p.pod.Spec.Hostname
	}
	return p.pod.Name
}

// runInits runs the init containers in order; each must succeed before the next starts.
func (p *podRuntime) runInits() bool {
	for _, c := range p.inits {
		for {
			err := p.runOnce(c)
			if err == nil {
				break
			}
			if p.pod.Spec.RestartPolicy == corev1.RestartPolicyNever {
				p.mu.Lock()
				p.initFailed = true
				p.mu.Unlock()
				p.agent.notify(p)
				return false
			}
			if !p.waitBackoff(c, err) {
				return false
			}
		}
	}
	p.mu.Lock()
	p.initialized = true
	p.mu.Unlock()
	p.agent.notify(p)
	return true
}

// supervise runs a container and restarts it per the pod's restartPolicy.
func (p *podRuntime) supervise(c *containerState) {
	go p.probe(c)
	for {
		err := p.runOnce(c)
		if p.ctx.Err() != nil {
			return
		}
		switch p.pod.Spec.RestartPolicy {
		case corev1.RestartPolicyNever:
			return
		case corev1.RestartPolicyOnFailure:
			if err == nil {
				return
			}
		}
		if !p.waitBackoff(c, err) {
			return
		}
	}
}

// waitBackoff shows CrashLoopBackOff (or ImagePullBackOff when the image is unknown) for the
// backoff period; false when the pod stops meanwhile.
func (p *podRuntime) waitBackoff(c *containerState, cause error) bool {
	p.mu.Lock()
	if c.backoff == 0 || time.Since(c.started) > backoffReset {
		c.backoff = initialBackoff
	}
	wait := c.backoff
	c.backoff *= 2
	if c.backoff > maxBackoff {
		c.backoff = maxBackoff
	}
	if c.terminated != nil {
		c.last, c.terminated = c.terminated, nil
	}
	var pull *images.ImagePullError
	if errors.As(cause, &pull) {
		c.waiting = &corev1.ContainerStateWaiting{
			Reason:  "ImagePullBackOff",
			Message: fmt.Sprintf("Back-off pulling image %q: %s", c.spec.Image, pull.Message),
		}
	} else {
		c.waiting = &corev1.ContainerStateWaiting{
			Reason:  "CrashLoopBackOff",
			Message: fmt.Sprintf("back-off %s restarting failed container %s in pod %s", wait, c.spec.Name, p.key()),
		}
	}
	p.mu.Unlock()
	p.agent.notify(p)
	select {
	case <-p.ctx.Done():
		return false
	case <-time.After(wait):
		return true
	}
}

// runOnce starts the container's process and waits for it to exit.
func (p *podRuntime) runOnce(c *containerState) error {
	if p.ctx.Err() != nil {
		return p.ctx.Err()
	}
	argv, err := p.agent.images.Argv(c.spec.Image, c.spec.Command, c.spec.Args)
	if err != nil {
		reason := "RunContainerError"
		if _, ok := err.(*images.ImagePullError); ok {
			reason = "ErrImagePull"
		}
		p.mu.Lock()
		c.waiting = &corev1.ContainerStateWaiting{Reason: reason, Message: err.Error()}
		p.mu.Unlock()
		p.agent.notify(p)
		return err
	}
	cmd, err := p.command(c, argv)
	if err == nil {
		var logFile *os.File
		logFile, err = openLog(c.logPath, c.restarts > 0 || c.last != nil)
		if err == nil {
			cmd.Stdout, cmd.Stderr = logFile, logFile
			err = cmd.Start()
			logFile.Close()
		}
	}
	if err != nil {
		reason := "RunContainerError"
		var cfgErr *configError
		if errors.As(err, &cfgErr) {
			reason = "CreateContainerConfigError"
		}
		p.mu.Lock()
		c.waiting = &corev1.ContainerStateWaiting{Reason: reason, Message: err.Error()}
		p.mu.Unlock()
		p.agent.notify(p)
		return err
	}
	exited := make(chan struct{})
	p.mu.Lock()
	if p.stopping { // the pod began stopping while this process started: it must not outlive it
		signalGroup(cmd.Process.Pid, syscall.SIGKILL)
	}
	if c.started1 {
		c.restarts++
		if c.terminated != nil {
			c.last = c.terminated
		}
	}
	c.cmd, c.pid, c.started, c.started1 = cmd, cmd.Process.Pid, time.Now(), true
	c.waiting, c.terminated, c.exitCh = nil, nil, exited
	c.ready = false
	p.mu.Unlock()
	p.agent.notify(p)
	p.logf("container %s started: pid %d: %s", c.spec.Name, cmd.Process.Pid, strings.Join(argv, " "))

	err = cmd.Wait()
	close(exited)
	p.mu.Lock()
	c.terminated = exitState(err, c.started)
	c.ready = false
	p.mu.Unlock()
	p.logf("container %s exited: %s (code %d)", c.spec.Name, c.terminated.Reason, c.terminated.ExitCode)
	p.agent.notify(p)
	return err
}

// command builds the pod-init invocation for a container.
func (p *podRuntime) command(c *containerState, argv []string) (*exec.Cmd, error) {
	mounts, err := containerMounts(p.pod, &c.spec, p.dir, nodeRoot(p.agent.cfg.StateDir))
	if err != nil {
		return nil, err
	}
	etc := filepath.Join(p.dir, "etc")
	mounts = append([]podinit.Mount{
		{Source: filepath.Join(etc, "resolv.conf"), Target: "/etc/resolv.conf", ReadOnly: true},
		{Source: filepath.Join(etc, "hosts"), Target: "/etc/hosts", ReadOnly: true},
		{Source: filepath.Join(etc, "hostname"), Target: "/etc/hostname", ReadOnly: true},
	}, mounts...)
	img, err := p.agent.images.Lookup(c.spec.Image)
	if err != nil {
		return nil, err
	}
	targets := make([]string, 0, len(img.Files))
	for target := range img.Files {
		targets = append(targets, target)
	}
	sort.Strings(targets)
	for _, target := range targets {
		mounts = append(mounts, podinit.Mount{Source: img.Files[target], Target: target, ReadOnly: true})
	}
	netns, hostname := "", ""
	flags := uintptr(syscall.CLONE_NEWNS)
	if p.network != nil {
		netns = p.network.NetnsPath()
		hostname = p.hostname()
		flags |= syscall.CLONE_NEWUTS
	}
	env, err := p.resolveEnv(c)
	if err != nil {
		return nil, err
	}
	argv = expandArgs(argv, env)
	args := podinit.Args(netns, hostname, c.spec.WorkingDir, mounts, argv)
	cmd := exec.Command(p.agent.self, args...)
	p.mu.Lock()
	c.env = env
	p.mu.Unlock()
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: flags, Setpgid: true, Pdeathsig: 0}
	return cmd, nil
}

// stop kills the pod's processes (SIGTERM, then SIGKILL after the grace period) and removes its
// network and files. It is idempotent; the returned channel closes when everything is gone.
func (p *podRuntime) stop(grace time.Duration) <-chan struct{} {
	p.mu.Lock()
	if p.stopping {
		p.mu.Unlock()
		return p.done
	}
	p.stopping = true
	p.mu.Unlock()
	go func() {
		p.cancel()
		<-p.setupDone
		p.killAll(grace)
		p.mu.Lock()
		n := p.network
		p.mu.Unlock()
		if n != nil {
			_ = p.agent.cni.del(context.Background(), p.pod, n)
			killNetnsProcesses(context.Background(), n.Netns)
			if err := tearDownPodNetwork(context.Background(), n); err != nil {
				p.logf("network teardown: %v", err)
			}
			p.agent.ipam.release(n.IP.String())
		}
		_ = os.RemoveAll(p.dir)
		close(p.done)
	}()
	return p.done
}

func (p *podRuntime) killAll(grace time.Duration) {
	var running []*containerState
	p.mu.Lock()
	for _, c := range append(append([]*containerState{}, p.inits...), p.containers...) {
		if c.cmd != nil && c.terminated == nil {
			running = append(running, c)
			signalGroup(c.pid, syscall.SIGTERM)
		}
	}
	p.mu.Unlock()
	deadline := time.After(grace)
	for _, c := range running {
		p.mu.Lock()
		ch := c.exitCh
		p.mu.Unlock()
		if ch == nil {
			continue
		}
		select {
		case <-ch:
		case <-deadline:
			deadline = time.After(0)
			signalGroup(c.pid, syscall.SIGKILL)
			<-ch
		}
	}
	// Children that left the process group still die with the namespace (killNetnsProcesses).
	p.mu.Lock()
	for _, c := range running {
		signalGroup(c.pid, syscall.SIGKILL)
	}
	p.mu.Unlock()
}
