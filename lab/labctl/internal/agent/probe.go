package agent

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// probe runs the container's readiness and liveness probes for as long as the pod lives. A
// container without a readiness probe is ready while it runs. Probes run from the node's
// network namespace against the pod's IP, as the kubelet's do.
func (p *podRuntime) probe(c *containerState) {
	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	var pid int
	var readiness, liveness *probeCounter
	for {
		select {
		case <-p.ctx.Done():
			return
		case <-ticker.C:
		}
		p.mu.Lock()
		running := c.cmd != nil && c.terminated == nil && c.waiting == nil
		curPid, started := c.pid, c.started
		p.mu.Unlock()
		if !running {
			continue
		}
		if curPid != pid { // a new process: probes start over
			pid = curPid
			readiness = newProbeCounter(c.spec.ReadinessProbe, started)
			liveness = newProbeCounter(c.spec.LivenessProbe, started)
		}
		if readiness.probe == nil {
			p.setReady(c, curPid, true)
		} else if readiness.due() {
			ok, msg := p.runProbe(c, curPid, readiness.probe)
			if changed, ready := readiness.record(ok); changed {
				if !ready {
					p.logf("container %s readiness probe failed: %s", c.spec.Name, msg)
				}
				p.setReady(c, curPid, ready)
			}
		}
		if liveness.probe != nil && liveness.due() {
			ok, msg := p.runProbe(c, curPid, liveness.probe)
			if changed, alive := liveness.record(ok); changed && !alive {
				p.logf("container %s liveness probe failed, restarting: %s", c.spec.Name, msg)
				signalGroup(curPid, syscall.SIGKILL)
			}
		}
	}
}

func (p *podRuntime) setReady(c *containerState, pid int, ready bool) {
	p.mu.Lock()
	changed := c.pid == pid && c.ready != ready && c.terminated == nil
	if changed {
		c.ready = ready
	}
	p.mu.Unlock()
	if changed {
		p.agent.notify(p)
	}
}

// probeCounter applies a probe's timing and thresholds.
type probeCounter struct {
	probe      *corev1.Probe
	next       time.Time
	successes  int32
	failures   int32
	state      bool
	stateKnown bool
}

func newProbeCounter(probe *corev1.Probe, started time.Time) *probeCounter {
	c := &probeCounter{probe: probe}
	if probe != nil {
		c.next = started.Add(time.Duration(probe.InitialDelaySeconds) * time.Second)
	}
	return c
}

func (c *probeCounter) due() bool {
	if time.Now().Before(c.next) {
		return false
	}
	period := c.probe.PeriodSeconds
	if period <= 0 {
		period = 10
	}
	c.next = time.Now().Add(time.Duration(period) * time.Second)
	return true
}

// record counts a result; it reports whether the probe's verdict changed and what it is now.
func (c *probeCounter) record(ok bool) (changed, verdict bool) {
	success, failure := c.probe.SuccessThreshold, c.probe.FailureThreshold
	if success <= 0 {
		success = 1
	}
	if failure <= 0 {
		failure = 3
	}
	if ok {
		c.successes++
		c.failures = 0
		if c.successes >= success && (!c.stateKnown || !c.state) {
			c.state, c.stateKnown = true, true
			return true, true
		}
	} else {
		c.failures++
		c.successes = 0
		if c.failures >= failure && (!c.stateKnown || c.state) {
			c.state, c.stateKnown = false, true
			return true, false
		}
	}
	return false, c.state
}

func (p *podRuntime) runProbe(c *containerState, pid int, probe *corev1.Probe) (bool, string) {
	timeout := time.Duration(probe.TimeoutSeconds) * time.Second
	if timeout <= 0 {
		timeout = time.Second
	}
	ctx, cancel := context.WithTimeout(p.ctx, timeout)
	defer cancel()
	p.mu.Lock()
	ip := p.podIP
	p.mu.Unlock()
	switch {
	case probe.HTTPGet != nil:
		return p.httpProbe(ctx, c, ip, probe.HTTPGet)
	case probe.TCPSocket != nil:
		port, err := resolvePort(&c.spec, probe.TCPSocket.Port)
		if err != nil {
			return false, err.Error()
		}
		host := ip
		if probe.TCPSocket.Host != "" {
			host = probe.TCPSocket.Host
		}
		conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			return false, err.Error()
		}
		conn.Close()
		return true, ""
	case probe.Exec != nil:
		cmd := exec.CommandContext(ctx, "nsenter", append([]string{"-t", strconv.Itoa(pid), "-n", "-u", "-m", "--"}, probe.Exec.Command...)...)
		cmd.Env = p.containerEnv(c)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return false, fmt.Sprintf("%v: %s", err, strings.TrimSpace(string(out)))
		}
		return true, ""
	default:
		return false, "probe type not supported by the lab node agent (supported: httpGet, tcpSocket, exec)"
	}
}

func (p *podRuntime) httpProbe(ctx context.Context, c *containerState, ip string, h *corev1.HTTPGetAction) (bool, string) {
	port, err := resolvePort(&c.spec, h.Port)
	if err != nil {
		return false, err.Error()
	}
	host := ip
	if h.Host != "" {
		host = h.Host
	}
	scheme := "http"
	if h.Scheme == corev1.URISchemeHTTPS {
		scheme = "https"
	}
	path := h.Path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+net.JoinHostPort(host, strconv.Itoa(port))+path, nil)
	if err != nil {
		return false, err.Error()
	}
	req.Header.Set("User-Agent", "kube-probe/1.35")
	for _, hd := range h.HTTPHeaders {
		if strings.EqualFold(hd.Name, "host") {
			req.Host = hd.Value
		} else {
			req.Header.Add(hd.Name, hd.Value)
		}
	}
	client := &http.Client{
		// Like the kubelet: probes do not verify serving certificates and do not follow
		// redirects off the pod.
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		return false, err.Error()
	}
	resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 400 {
		return true, ""
	}
	return false, fmt.Sprintf("HTTP probe failed with statuscode: %d", resp.StatusCode)
}

// resolvePort turns a number or a named container port into a port number.
func resolvePort(c *corev1.Container, port intstr.IntOrString) (int, error) {
	if port.Type == intstr.Int {
		return port.IntValue(), nil
	}
	for _, p := range c.Ports {
		if p.Name == port.StrVal {
			return int(p.ContainerPort), nil
		}
	}
	if n, err := strconv.Atoi(port.StrVal); err == nil {
		return n, nil
	}
	return 0, fmt.Errorf("container %s has no port named %q", c.Name, port.StrVal)
}
