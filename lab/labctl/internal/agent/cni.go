package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"dev.ambient/lab/labctl/internal/podinit"
	corev1 "k8s.io/api/core/v1"
)

// cniChain runs the CNI plugins configured for the node after the agent has made the pod's
// network, the way a container runtime chains them: each plugin gets the network
// configuration on stdin with the previous result, and the CNI_* environment. This is where the
// mesh's CNI step (installed into the node's CNI directory by its DaemonSet) hooks in.
//
// The conflist files are read from confDir; plugins (by their "type") from binDir. The agent's
// own routed-veth setup plays the part of the main plugin, so only chained plugins are listed.
//
// With podInit set (the agent's own binary), each plugin runs through `labctl pod-init` in a mount
// namespace of its own holding the node's filesystem view (nodeView of nodeRoot): a plugin a
// DaemonSet installed reads the sockets and files that DaemonSet wrote on this node, at the paths
// it wrote them to, as on a real node.
type cniChain struct {
	confDir, binDir string
	podInit         string
	nodeRoot        string
}

// command builds the process for one plugin run.
func (c *cniChain) command(ctx context.Context, plugin string) *exec.Cmd {
	if c.podInit == "" {
		return exec.CommandContext(ctx, plugin)
	}
	cmd := exec.CommandContext(ctx, c.podInit, podinit.Args("", "", "", nodeView(c.nodeRoot), []string{plugin})...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS}
	return cmd
}

type cniConfList struct {
	CNIVersion string            `json:"cniVersion"`
	Name       string            `json:"name"`
	Plugins    []json.RawMessage `json:"plugins"`
}

func (c *cniChain) lists() ([]cniConfList, error) {
	if c.confDir == "" {
		return nil, nil
	}
	files, err := filepath.Glob(filepath.Join(c.confDir, "*.conflist"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var lists []cniConfList
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var l cniConfList
		if err := json.Unmarshal(data, &l); err != nil {
			return nil, fmt.Errorf("CNI config %s: %w", f, err)
		}
		lists = append(lists, l)
	}
	return lists, nil
}

func (c *cniChain) add(ctx context.Context, pod *corev1.Pod, n *podNetwork) error {
	return c.invoke(ctx, "ADD", pod, n)
}

func (c *cniChain) del(ctx context.Context, pod *corev1.Pod, n *podNetwork) error {
	return c.invoke(ctx, "DEL", pod, n)
}

func (c *cniChain) invoke(ctx context.Context, command string, pod *corev1.Pod, n *podNetwork) error {
	lists, err := c.lists()
	if err != nil || len(lists) == 0 {
		return err
	}
	prev := map[string]any{
		"cniVersion": "1.0.0",
		"interfaces": []map[string]any{{"name": "eth0", "sandbox": n.NetnsPath()}},
		"ips":        []map[string]any{{"address": n.IP.String() + "/32", "gateway": n.Gateway.String(), "interface": 0}},
	}
	for _, l := range lists {
		plugins := l.Plugins
		if command == "DEL" { // DEL runs the chain in reverse
			plugins = append([]json.RawMessage{}, plugins...)
			for i, j := 0, len(plugins)-1; i < j; i, j = i+1, j-1 {
				plugins[i], plugins[j] = plugins[j], plugins[i]
			}
		}
		for _, raw := range plugins {
			var conf map[string]any
			if err := json.Unmarshal(raw, &conf); err != nil {
				return fmt.Errorf("CNI list %s: %w", l.Name, err)
			}
			typ, _ := conf["type"].(string)
			if typ == "" || strings.ContainsAny(typ, "/.") {
				return fmt.Errorf("CNI list %s: plugin type %q is not a plain program name", l.Name, typ)
			}
			conf["cniVersion"], conf["name"] = l.CNIVersion, l.Name
			if command == "ADD" {
				conf["prevResult"] = prev
			}
			stdin, _ := json.Marshal(conf)
			cmd := c.command(ctx, filepath.Join(c.binDir, typ))
			cmd.Stdin = bytes.NewReader(stdin)
			cmd.Env = append(os.Environ(),
				"CNI_COMMAND="+command,
				"CNI_CONTAINERID="+string(pod.UID),
				"CNI_NETNS="+n.NetnsPath(),
				"CNI_IFNAME=eth0",
				"CNI_PATH="+c.binDir,
				fmt.Sprintf("CNI_ARGS=K8S_POD_NAMESPACE=%s;K8S_POD_NAME=%s;K8S_POD_UID=%s", pod.Namespace, pod.Name, pod.UID),
			)
			var out, errOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			if err := cmd.Run(); err != nil {
				if command == "DEL" {
					continue // DEL must not stop the teardown
				}
				return fmt.Errorf("CNI plugin %s %s: %v: %s %s", typ, command, err, strings.TrimSpace(out.String()), strings.TrimSpace(errOut.String()))
			}
			if command == "ADD" && out.Len() > 0 {
				var result map[string]any
				if json.Unmarshal(out.Bytes(), &result) == nil {
					prev = result
				}
			}
		}
	}
	return nil
}
