package agent

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/creack/pty"
	"github.com/virtual-kubelet/virtual-kubelet/errdefs"
	"github.com/virtual-kubelet/virtual-kubelet/node/api"
	utilexec "k8s.io/utils/exec"
)

// The kubelet API's streaming calls (exec, logs, port-forward) as the API server proxies them.

func (a *Agent) container(namespace, pod, container string) (*podRuntime, *containerState, error) {
	p := a.lookup(namespace, pod)
	if p == nil {
		return nil, nil, errdefs.NotFoundf("pod %s/%s is not on node %s", namespace, pod, a.cfg.Name)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range append(append([]*containerState{}, p.containers...), p.inits...) {
		if c.spec.Name == container || (container == "" && !c.init) {
			return p, c, nil
		}
	}
	return nil, nil, errdefs.NotFoundf("pod %s/%s has no container %q", namespace, pod, container)
}

// GetContainerLogs serves `kubectl logs`, with --previous, --tail, --limit-bytes and --follow.
func (a *Agent) GetContainerLogs(ctx context.Context, namespace, podName, containerName string, opts api.ContainerLogOpts) (io.ReadCloser, error) {
	_, c, err := a.container(namespace, podName, containerName)
	if err != nil {
		return nil, err
	}
	path := c.logPath
	if opts.Previous {
		path += ".previous"
	}
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		if opts.Previous {
			return nil, errdefs.NotFoundf("previous terminated container %q in pod %q not found", containerName, podName)
		}
		data, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	offset := int64(len(data))
	if opts.Tail > 0 {
		data = lastLines(data, opts.Tail)
	}
	if opts.LimitBytes > 0 && len(data) > opts.LimitBytes {
		data = data[:opts.LimitBytes]
	}
	if !opts.Follow || opts.Previous {
		return io.NopCloser(bytes.NewReader(data)), nil
	}
	r, w := io.Pipe()
	go func() {
		defer w.Close()
		if _, err := w.Write(data); err != nil {
			return
		}
		followLog(ctx, path, offset, w)
	}()
	return r, nil
}

func lastLines(data []byte, n int) []byte {
	end := len(data)
	if end > 0 && data[end-1] == '\n' {
		end--
	}
	count := 0
	for i := end - 1; i >= 0; i-- {
		if data[i] == '\n' {
			count++
			if count == n {
				return data[i+1:]
			}
		}
	}
	return data
}

// followLog copies what is appended to the log from offset on until the client goes away.
func followLog(ctx context.Context, path string, offset int64, w io.Writer) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return
	}
	reader := bufio.NewReader(f)
	buf := make([]byte, 32*1024)
	for {
		n, err := reader.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err == io.EOF {
			select {
			case <-ctx.Done():
				return
			case <-time.After(200 * time.Millisecond):
			}
			continue
		}
		if err != nil {
			return
		}
	}
}

// RunInContainer serves `kubectl exec`: the command runs in the container's network, UTS and
// mount namespaces with its environment. A non-zero exit is reported as the exit code the
// client sees.
func (a *Agent) RunInContainer(ctx context.Context, namespace, podName, containerName string, cmd []string, attach api.AttachIO) error {
	p, c, err := a.container(namespace, podName, containerName)
	if err != nil {
		return err
	}
	p.mu.Lock()
	running := c.cmd != nil && c.terminated == nil && c.waiting == nil
	pid := c.pid
	p.mu.Unlock()
	if !running {
		return fmt.Errorf("container %s in pod %s/%s is not running", c.spec.Name, namespace, podName)
	}
	if len(cmd) == 0 {
		return fmt.Errorf("exec: no command given")
	}
	args := append([]string{"-t", strconv.Itoa(pid), "-n", "-u", "-m", "--wd=" + workDir(c.spec.WorkingDir), "--"}, cmd...)
	proc := exec.CommandContext(ctx, "nsenter", args...)
	proc.Env = p.containerEnv(c)
	if attach.TTY() {
		return runWithTTY(proc, attach)
	}
	if in := attach.Stdin(); in != nil {
		proc.Stdin = in
	}
	if out := attach.Stdout(); out != nil {
		proc.Stdout = out
		defer out.Close()
	}
	if errOut := attach.Stderr(); errOut != nil {
		proc.Stderr = errOut
		defer errOut.Close()
	}
	return exitError(proc.Run())
}

func workDir(dir string) string {
	if dir == "" {
		return "/"
	}
	return dir
}

func runWithTTY(proc *exec.Cmd, attach api.AttachIO) error {
	tty, err := pty.Start(proc)
	if err != nil {
		return err
	}
	defer tty.Close()
	go func() {
		for size := range attach.Resize() {
			_ = pty.Setsize(tty, &pty.Winsize{Rows: size.Height, Cols: size.Width})
		}
	}()
	if in := attach.Stdin(); in != nil {
		go func() { _, _ = io.Copy(tty, in) }()
	}
	if out := attach.Stdout(); out != nil {
		_, _ = io.Copy(out, tty)
		out.Close()
	}
	return exitError(proc.Wait())
}

// exitError turns an exit status into the error type the exec handler reports as
// NonZeroExitCode with an ExitCode cause.
func exitError(err error) error {
	if ee, ok := err.(*exec.ExitError); ok {
		return utilexec.CodeExitError{Err: err, Code: ee.ExitCode()}
	}
	return err
}

// AttachToContainer is not supported: container output goes to its log file, not a terminal.
func (a *Agent) AttachToContainer(ctx context.Context, namespace, podName, containerName string, attach api.AttachIO) error {
	return errdefs.InvalidInput("attach is not supported by the lab node agent; use kubectl logs -f or kubectl exec")
}

// PortForward serves `kubectl port-forward`: the stream is joined to the pod's port, dialled from
// the node's network namespace.
func (a *Agent) PortForward(ctx context.Context, namespace, podName string, port int32, stream io.ReadWriteCloser) error {
	p := a.lookup(namespace, podName)
	if p == nil {
		return errdefs.NotFoundf("pod %s/%s is not on node %s", namespace, podName, a.cfg.Name)
	}
	p.mu.Lock()
	ip := p.podIP
	p.mu.Unlock()
	defer stream.Close()
	conn, err := (&net.Dialer{Timeout: 10 * time.Second}).DialContext(ctx, "tcp", net.JoinHostPort(ip, strconv.Itoa(int(port))))
	if err != nil {
		return fmt.Errorf("port-forward to %s/%s port %d: %w", namespace, podName, port, err)
	}
	defer conn.Close()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(conn, stream); closeWrite(conn); done <- struct{}{} }()
	go func() { _, _ = io.Copy(stream, conn); done <- struct{}{} }()
	select {
	case <-done:
		<-done
	case <-ctx.Done():
	}
	return nil
}

func closeWrite(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
}
