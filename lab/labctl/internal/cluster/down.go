package cluster

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Down stops the cluster and removes everything up created. It works from whatever is left:
// after a clean up, a crashed one, or a reboot (when only network leftovers, if any, remain).
func Down(args []string) error {
	c, err := parseFlags("down", args)
	if err != nil {
		return err
	}
	if err := requireRoot("down"); err != nil {
		return err
	}
	errs := c.down()
	c.printErrors(errs)
	if len(errs) > 0 {
		return fmt.Errorf("%d cleanup step(s) failed (listed above); running down again retries them", len(errs))
	}
	fmt.Println("lab cluster down: processes, network namespaces, links, routes, iptables rules and", c.State, "removed")
	return nil
}

// down is idempotent: every step tolerates its object being gone already.
func (c *config) down() []error {
	var agents, others []string
	for _, name := range c.pidNames() {
		switch {
		case strings.HasPrefix(name, "agent-"):
			agents = append(agents, name)
		case name == nameEtcd:
		default:
			others = append(others, name)
		}
	}
	// Agents first: on SIGTERM they remove their pods' processes and netns. Then the rest of
	// the control plane, etcd last so the apiserver does not spend its shutdown retrying it.
	c.stopGroup(agents)
	c.stopGroup(others)
	c.stopGroup([]string{nameEtcd})
	c.killStrays()

	errs := c.teardownNetwork()
	errs = append(errs, unmountUnder(c.State)...)
	if err := os.RemoveAll(c.State); err != nil {
		errs = append(errs, fmt.Errorf("remove %s: %w", c.State, err))
	}
	return errs
}

// stopGroup stops the named components in parallel, each with a 10 s grace period.
func (c *config) stopGroup(names []string) {
	var wg sync.WaitGroup
	for _, name := range names {
		pid := c.readPid(name)
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.stop(pid, 10*time.Second)
		}()
	}
	wg.Wait()
}

// killStrays kills any lab program whose command line still names the state directory (one
// started just before a crash left no pid file), except this process and its ancestors, whose
// own arguments may name it. Other programs that mention the directory (a user's tail -f of a
// log) are left alone; pod processes die with their netns.
func (c *config) killStrays() {
	skip := map[int]bool{}
	for pid := os.Getpid(); pid > 1; pid = parentOf(pid) {
		skip[pid] = true
	}
	entries, _ := os.ReadDir("/proc")
	var strays []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || skip[pid] || !c.ours(pid) || !labProgram(pid) {
			continue
		}
		strays = append(strays, pid)
	}
	var wg sync.WaitGroup
	for _, pid := range strays {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.stop(pid, 5*time.Second)
		}()
	}
	wg.Wait()
}

// labProgram reports whether pid runs one of the programs up starts.
func labProgram(pid int) bool {
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		return false
	}
	switch filepath.Base(strings.TrimSuffix(exe, " (deleted)")) {
	case "etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy", "coredns", "labctl", "nsenter":
		return true
	}
	return false
}

func parentOf(pid int) int {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// unmountUnder detaches every mount at or below dir (the agents may bind-mount files for pods
// there), deepest first.
func unmountUnder(dir string) []error {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return []error{fmt.Errorf("read mounts: %w", err)}
	}
	defer f.Close()
	var points []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		p := unescapeMount(fields[4])
		if p == dir || strings.HasPrefix(p, dir+"/") {
			points = append(points, p)
		}
	}
	sort.Slice(points, func(i, j int) bool { return len(points[i]) > len(points[j]) })
	var errs []error
	for _, p := range points {
		if err := syscall.Unmount(p, syscall.MNT_DETACH); err != nil && err != syscall.EINVAL && err != syscall.ENOENT {
			errs = append(errs, fmt.Errorf("unmount %s: %w", p, err))
		}
	}
	return errs
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space and so on).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return filepath.Clean(b.String())
}
