package agent

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A chained plugin is a real program invoked per the CNI spec: this one records its environment
// and stdin, and answers ADD with a result the next plugin receives as prevResult.
const recordingPlugin = `#!/bin/sh
out="$(dirname "$0")/../calls"
{ echo "CALL $CNI_COMMAND $CNI_NETNS $CNI_IFNAME $CNI_CONTAINERID $CNI_ARGS"; cat; echo; } >> "$out"
if [ "$CNI_COMMAND" = ADD ]; then
  echo '{"cniVersion":"1.0.0","ips":[{"address":"10.244.1.9/32"}],"marker":"from-first"}'
fi
`

func writePlugin(t *testing.T, binDir, name, script string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(binDir, name), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestCNIChainPassesTheSpecEnvironmentAndChainsResults(t *testing.T) {
	root := t.TempDir()
	confDir, binDir := filepath.Join(root, "net.d"), filepath.Join(root, "bin")
	for _, d := range []string{confDir, binDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writePlugin(t, binDir, "first", recordingPlugin)
	writePlugin(t, binDir, "second", recordingPlugin)
	conf := `{"cniVersion":"1.0.0","name":"mesh","plugins":[{"type":"first","x":1},{"type":"second"}]}`
	if err := os.WriteFile(filepath.Join(confDir, "10-mesh.conflist"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	chain := &cniChain{confDir: confDir, binDir: binDir}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", UID: "uid-1"}}
	n := &podNetwork{Netns: "amblab-pod-x", HostVeth: "lvx", IP: net.ParseIP("10.244.1.9"), Gateway: net.ParseIP("10.244.1.1")}

	if err := chain.add(context.Background(), pod, n); err != nil {
		t.Fatal(err)
	}
	if err := chain.del(context.Background(), pod, n); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "calls"))
	if err != nil {
		t.Fatal(err)
	}
	calls := strings.Split(strings.TrimSpace(string(data)), "CALL ")[1:]
	if len(calls) != 4 {
		t.Fatalf("want 4 calls (ADD first, ADD second, DEL second, DEL first), got %d:\n%s", len(calls), data)
	}
	wantHeader := " /run/netns/amblab-pod-x eth0 uid-1 K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p;K8S_POD_UID=uid-1"
	for i, cmd := range []string{"ADD", "ADD", "DEL", "DEL"} {
		if !strings.HasPrefix(calls[i], cmd+wantHeader) {
			t.Errorf("call %d: %q", i, strings.SplitN(calls[i], "\n", 2)[0])
		}
	}
	stdin := func(call string) map[string]any {
		var m map[string]any
		if err := json.Unmarshal([]byte(strings.SplitN(call, "\n", 2)[1]), &m); err != nil {
			t.Fatalf("stdin of %q: %v", call, err)
		}
		return m
	}
	first, second := stdin(calls[0]), stdin(calls[1])
	if first["name"] != "mesh" || first["cniVersion"] != "1.0.0" || first["x"] != float64(1) {
		t.Errorf("first plugin config: %v", first)
	}
	prev := first["prevResult"].(map[string]any)
	if ips := prev["ips"].([]any); ips[0].(map[string]any)["address"] != "10.244.1.9/32" {
		t.Errorf("the agent's own result as prevResult: %v", prev)
	}
	if second["prevResult"].(map[string]any)["marker"] != "from-first" {
		t.Errorf("the second plugin must get the first one's result: %v", second["prevResult"])
	}
	if _, has := stdin(calls[2])["prevResult"]; has {
		t.Errorf("DEL gets no prevResult from the agent")
	}
}

func TestCNIChainFailureOnAddIsAnError(t *testing.T) {
	root := t.TempDir()
	confDir, binDir := filepath.Join(root, "net.d"), filepath.Join(root, "bin")
	_ = os.MkdirAll(confDir, 0o755)
	_ = os.MkdirAll(binDir, 0o755)
	writePlugin(t, binDir, "refuse", "#!/bin/sh\necho '{\"code\":7,\"msg\":\"no ztunnel on this node\"}'\nexit 1\n")
	_ = os.WriteFile(filepath.Join(confDir, "a.conflist"), []byte(`{"cniVersion":"1.0.0","name":"m","plugins":[{"type":"refuse"}]}`), 0o644)
	chain := &cniChain{confDir: confDir, binDir: binDir}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", UID: "u"}}
	n := &podNetwork{Netns: "x", IP: net.ParseIP("10.0.0.2"), Gateway: net.ParseIP("10.0.0.1")}
	err := chain.add(context.Background(), pod, n)
	if err == nil || !strings.Contains(err.Error(), "no ztunnel on this node") {
		t.Fatalf("got %v", err)
	}
	// A plugin type naming a path is refused before anything runs.
	_ = os.WriteFile(filepath.Join(confDir, "a.conflist"), []byte(`{"cniVersion":"1.0.0","name":"m","plugins":[{"type":"../../bin/sh"}]}`), 0o644)
	if err := chain.add(context.Background(), pod, n); err == nil || !strings.Contains(err.Error(), "plain program name") {
		t.Fatalf("got %v", err)
	}
}
