package agent

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Backoff between restarts of a crashing container, as the kubelet's: 10 s doubling to 5 min,
// forgotten after 10 minutes of running well.
const (
	initialBackoff = 10 * time.Second
	maxBackoff     = 5 * time.Minute
	backoffReset   = 10 * time.Minute
)

// containerState is one container's runtime record; its pod's mutex guards it.
type containerState struct {
	spec     corev1.Container
	logPath  string
	init     bool
	cmd      *exec.Cmd
	pid      int
	started  time.Time
	restarts int32
	backoff  time.Duration
	ready    bool
	started1 bool // has run at least once (containerStatuses.started)

	waiting    *corev1.ContainerStateWaiting
	terminated *corev1.ContainerStateTerminated
	last       *corev1.ContainerStateTerminated
	exitCh     chan struct{} // closed when the current process exits
	env        []string      // the running process's environment, for exec and probes
}

func newContainerState(spec corev1.Container, logPath string, init bool) *containerState {
	return &containerState{
		spec: spec, logPath: logPath, init: init,
		waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"},
	}
}

// status renders the container's Kubernetes status; the caller holds the pod's lock.
func (c *containerState) status() corev1.ContainerStatus {
	st := corev1.ContainerStatus{
		Name:         c.spec.Name,
		Image:        c.spec.Image,
		ImageID:      "lab://" + c.spec.Image,
		RestartCount: c.restarts,
		Ready:        c.ready,
	}
	started := c.cmd != nil && c.terminated == nil && c.waiting == nil
	st.Started = &started
	switch {
	case c.waiting != nil:
		st.State.Waiting = c.waiting.DeepCopy()
	case c.terminated != nil:
		st.State.Terminated = c.terminated.DeepCopy()
	case c.cmd != nil:
		st.State.Running = &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(c.started)}
		st.ContainerID = fmt.Sprintf("lab://%d", c.pid)
	}
	if c.last != nil {
		st.LastTerminationState.Terminated = c.last.DeepCopy()
	}
	return st
}

// exitState describes how a process ended.
func exitState(err error, started time.Time) *corev1.ContainerStateTerminated {
	t := &corev1.ContainerStateTerminated{
		StartedAt:  metav1.NewTime(started),
		FinishedAt: metav1.Now(),
		Reason:     "Completed",
	}
	if err == nil {
		return t
	}
	t.Reason = "Error"
	t.ExitCode = 128
	if ee, ok := err.(*exec.ExitError); ok {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok {
			if ws.Signaled() {
				t.ExitCode = 128 + int32(ws.Signal())
				t.Signal = int32(ws.Signal())
			} else {
				t.ExitCode = int32(ws.ExitStatus())
			}
		}
	}
	t.Message = err.Error()
	return t
}

// openLog opens the container's log for appending; the previous run's log is kept as .previous.
func openLog(path string, rotate bool) (*os.File, error) {
	if rotate {
		if _, err := os.Stat(path); err == nil {
			_ = os.Rename(path, path+".previous")
		}
	}
	return os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
}

// signalGroup signals the process group the container's process leads (pod-init starts it
// with Setpgid, so children it forks go too).
func signalGroup(pid int, sig syscall.Signal) {
	if pid > 0 {
		_ = syscall.Kill(-pid, sig)
	}
}
