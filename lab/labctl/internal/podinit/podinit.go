// Package podinit is the last step before a container's program runs: the node agent starts
// `labctl pod-init` in fresh mount and UTS namespaces, and pod-init joins the pod's network
// namespace, sets the hostname, bind-mounts the pod's files (resolv.conf, volumes, the
// service-account token) and then execs the program in place.
//
// It is a separate process because joining a network namespace from Go only moves one thread,
// and only exec keeps that thread's namespaces for the whole new program.
package podinit

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Mount is one bind mount into the container's view of the filesystem.
type Mount struct {
	Source   string
	Target   string
	ReadOnly bool
	// HostToContainer is Kubernetes' mountPropagation of that name: mounts the host makes under
	// the source later (a new pod's network namespace under /run/netns) appear in the container.
	HostToContainer bool
}

// String renders the flag form "source=target[:ro][:rslave]".
func (m Mount) String() string {
	s := m.Source + "=" + m.Target
	if m.ReadOnly {
		s += ":ro"
	}
	if m.HostToContainer {
		s += ":rslave"
	}
	return s
}

// ParseMount parses the flag form "source=target[:ro][:rslave]".
func ParseMount(s string) (Mount, error) {
	src, target, ok := strings.Cut(s, "=")
	if !ok || src == "" || target == "" {
		return Mount{}, fmt.Errorf("mount %q: want source=target[:ro][:rslave]", s)
	}
	m := Mount{Source: src, Target: target}
	if strings.HasSuffix(m.Target, ":rslave") {
		m.Target, m.HostToContainer = strings.TrimSuffix(m.Target, ":rslave"), true
	}
	if strings.HasSuffix(m.Target, ":ro") {
		m.Target, m.ReadOnly = strings.TrimSuffix(m.Target, ":ro"), true
	}
	if !filepath.IsAbs(m.Source) || !filepath.IsAbs(m.Target) {
		return Mount{}, fmt.Errorf("mount %q: paths must be absolute", s)
	}
	return m, nil
}

// Args builds pod-init's command line; the inverse of what Run parses.
func Args(netns, hostname, workDir string, mounts []Mount, argv []string) []string {
	args := []string{"pod-init"}
	if netns != "" {
		args = append(args, "--netns", netns)
	}
	if hostname != "" {
		args = append(args, "--hostname", hostname)
	}
	if workDir != "" {
		args = append(args, "--workdir", workDir)
	}
	for _, m := range mounts {
		args = append(args, "--mount", m.String())
	}
	return append(append(args, "--"), argv...)
}

type mountList []Mount

func (l *mountList) String() string { return fmt.Sprint(*l) }
func (l *mountList) Set(s string) error {
	m, err := ParseMount(s)
	if err != nil {
		return err
	}
	*l = append(*l, m)
	return nil
}

// Run enters the namespaces and execs; it returns only on failure.
func Run(args []string) error {
	fs := flag.NewFlagSet("pod-init", flag.ContinueOnError)
	netns := fs.String("netns", "", "network namespace file to join (empty: stay in the node's)")
	hostname := fs.String("hostname", "", "hostname to set (needs a private UTS namespace)")
	workDir := fs.String("workdir", "", "working directory of the program")
	var mounts mountList
	fs.Var(&mounts, "mount", "bind mount source=target[:ro] (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	argv := fs.Args()
	if len(argv) == 0 {
		return errors.New("no program given after --")
	}

	// Everything from here to exec runs on this one thread: setns(CLONE_NEWNET) moves only it.
	runtime.LockOSThread()

	// The agent started us in a new mount namespace; keep our mounts from leaking to the host.
	// With a HostToContainer mount the tree becomes a slave of the host's instead (as a container
	// runtime's rslave root): the host's new mounts still arrive, ours still do not leak.
	propagation, what := uintptr(unix.MS_PRIVATE), "private"
	for _, m := range mounts {
		if m.HostToContainer {
			propagation, what = unix.MS_SLAVE, "a slave of the host"
		}
	}
	if err := unix.Mount("none", "/", "", unix.MS_REC|propagation, ""); err != nil {
		return fmt.Errorf("making / %s: %w", what, err)
	}
	for _, m := range mounts {
		if err := bindMount(m); err != nil {
			return err
		}
	}
	if *hostname != "" {
		if err := unix.Sethostname([]byte(*hostname)); err != nil {
			return fmt.Errorf("sethostname %q: %w", *hostname, err)
		}
	}
	if *netns != "" {
		fd, err := unix.Open(*netns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("opening netns %s: %w", *netns, err)
		}
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("joining netns %s: %w", *netns, err)
		}
		unix.Close(fd)
	}
	if *workDir != "" {
		if err := os.Chdir(*workDir); err != nil {
			return fmt.Errorf("working directory %s: %w", *workDir, err)
		}
	}
	program, err := lookPath(argv[0])
	if err != nil {
		return err
	}
	return syscall.Exec(program, argv, os.Environ())
}

// lookPath resolves the program with the container's PATH (the environment we were given).
func lookPath(name string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("program %q not found on PATH %q", name, os.Getenv("PATH"))
	}
	return path, nil
}

// bindMount mounts source over target, creating the target (a directory or an empty file, like
// the source) when this machine lacks it: there is no container image to provide it.
func bindMount(m Mount) error {
	info, err := os.Stat(m.Source)
	if err != nil {
		return fmt.Errorf("mount source: %w", err)
	}
	if _, err := os.Lstat(m.Target); errors.Is(err, os.ErrNotExist) {
		if info.IsDir() {
			err = os.MkdirAll(m.Target, 0o755)
		} else {
			if err = os.MkdirAll(filepath.Dir(m.Target), 0o755); err == nil {
				var f *os.File
				if f, err = os.OpenFile(m.Target, os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
					f.Close()
				}
			}
		}
		if err != nil {
			return fmt.Errorf("creating mount point %s: %w", m.Target, err)
		}
	}
	if err := unix.Mount(m.Source, m.Target, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind mount %s on %s: %w", m.Source, m.Target, err)
	}
	if m.ReadOnly {
		flags := uintptr(unix.MS_BIND | unix.MS_REMOUNT | unix.MS_RDONLY | unix.MS_REC)
		if err := unix.Mount("", m.Target, "", flags, ""); err != nil {
			return fmt.Errorf("read-only remount of %s: %w", m.Target, err)
		}
	}
	return nil
}
