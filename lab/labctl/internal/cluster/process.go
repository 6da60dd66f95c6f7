package cluster

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// daemon is a long-running component started by up. Its pid goes to <state>/pids/<name>.pid and
// its output to <state>/logs/<name>.log, so down and status work from a different process.
type daemon struct {
	Name   string
	Argv   []string
	Netns  string // if set, the process runs in this node's network namespace
	exited chan struct{}
	err    error
}

// start launches d detached from our session, so it survives labctl up exiting and does not
// get the terminal's signals.
func (c *config) start(d *daemon) error {
	argv := d.Argv
	if d.Netns != "" {
		// nsenter, not "ip netns exec": the latter unshares a private mount namespace, and the
		// node agent's netns mounts under /run/netns must stay visible on the host. nsenter
		// without --fork execs the program itself, so the pid we record is the component's.
		argv = append([]string{"nsenter", "--net=" + d.Netns, "--"}, argv...)
	}
	logPath := c.path("logs", d.Name+".log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open log for %s: %w", d.Name, err)
	}
	defer logf.Close()
	fmt.Fprintf(logf, "--- %s labctl: %s\n", time.Now().UTC().Format(time.RFC3339), strings.Join(argv, " "))
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = c.State
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s (%s): %w", d.Name, argv[0], err)
	}
	if err := os.WriteFile(c.path("pids", d.Name+".pid"), []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644); err != nil {
		_ = cmd.Process.Kill()
		return fmt.Errorf("write pid file of %s: %w", d.Name, err)
	}
	// Reap it while up runs, and learn early when a component dies during start-up.
	d.exited = make(chan struct{})
	go func() {
		d.err = cmd.Wait()
		close(d.exited)
	}()
	return nil
}

// dead reports whether a daemon started by this process has exited, with how.
func (d *daemon) dead() (bool, string) {
	if d == nil || d.exited == nil {
		return false, ""
	}
	select {
	case <-d.exited:
		if d.err != nil {
			return true, d.err.Error()
		}
		return true, "exited with status 0"
	default:
		return false, ""
	}
}

// readPid returns the pid recorded for name, or 0.
func (c *config) readPid(name string) int {
	data, err := os.ReadFile(c.path("pids", name+".pid"))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 1 {
		return 0
	}
	return pid
}

// ours reports whether pid is alive (not a zombie) and still one of ours: every lab process is
// given a path under the state directory on its command line, so a recycled pid after a crash or
// reboot is never mistaken for a component.
func (c *config) ours(pid int) bool {
	if pid <= 1 {
		return false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || len(cmdline) == 0 {
		return false
	}
	if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		// Field 3, after the parenthesised command name, is the state; Z = zombie, X = dead.
		if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) && (stat[i+2] == 'Z' || stat[i+2] == 'X') {
			return false
		}
	}
	return bytes.Contains(cmdline, []byte(c.State+"/"))
}

// alive reports whether the component recorded under name is running.
func (c *config) alive(name string) (int, bool) {
	pid := c.readPid(name)
	return pid, c.ours(pid)
}

// stop sends SIGTERM to pid, waits up to grace, then SIGKILLs it. Only processes that still
// look like ours are signalled.
func (c *config) stop(pid int, grace time.Duration) {
	if !c.ours(pid) {
		return
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		if !c.ours(pid) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	for i := 0; i < 50 && c.ours(pid); i++ {
		time.Sleep(100 * time.Millisecond)
	}
}

// logTail returns the last n lines of a component's log.
func (c *config) logTail(name string, n int) string {
	data, err := os.ReadFile(c.path("logs", name+".log"))
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// anyAlive reports whether any recorded component still runs.
func (c *config) anyAlive() bool {
	for _, name := range c.pidNames() {
		if _, ok := c.alive(name); ok {
			return true
		}
	}
	return false
}

// pidNames lists the components that have pid files.
func (c *config) pidNames() []string {
	files, _ := filepath.Glob(c.path("pids", "*.pid"))
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".pid"))
	}
	return names
}

// run runs a short command (ip, iptables) and returns its combined output, with the command
// line in the error so a failure names what was attempted.
func run(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return string(out), fmt.Errorf("%s %s: %s", name, strings.Join(args, " "), strings.TrimSpace(string(out)))
		}
		return string(out), fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return string(out), nil
}
