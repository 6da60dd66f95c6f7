package agent

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"dev.ambient/lab/labctl/internal/podinit"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestIPAMSkipsGatewayAndBroadcastAndNeverHandsOutTwice(t *testing.T) {
	a, err := newIPAM("10.244.1.0/29")
	if err != nil {
		t.Fatal(err)
	}
	if got := a.gateway().String(); got != "10.244.1.1" {
		t.Fatalf("gateway %s", got)
	}
	seen := map[string]bool{}
	for i := 0; i < 5; i++ { // .2 to .6
		ip, err := a.allocate()
		if err != nil {
			t.Fatalf("allocation %d: %v", i, err)
		}
		if seen[ip.String()] || ip.String() == "10.244.1.1" || ip.String() == "10.244.1.7" {
			t.Fatalf("bad address %s (seen %v)", ip, seen)
		}
		seen[ip.String()] = true
	}
	if _, err := a.allocate(); err == nil || !strings.Contains(err.Error(), "exhausted") {
		t.Fatalf("expected exhaustion, got %v", err)
	}
	a.release("10.244.1.4")
	ip, err := a.allocate()
	if err != nil || ip.String() != "10.244.1.4" {
		t.Fatalf("after release got %v %v", ip, err)
	}
}

func TestIPAMRejectsBadCIDRs(t *testing.T) {
	for _, c := range []string{"", "10.0.0.0", "fd00::/64", "10.0.0.0/31", "10.0.0.0/8"} {
		if _, err := newIPAM(c); err == nil {
			t.Errorf("%q: expected an error", c)
		}
	}
}

func TestProbeThresholds(t *testing.T) {
	c := newProbeCounter(&corev1.Probe{SuccessThreshold: 1, FailureThreshold: 2}, time.Now())
	if changed, v := c.record(true); !changed || !v {
		t.Fatal("first success should make it ready")
	}
	if changed, _ := c.record(false); changed {
		t.Fatal("one failure is below the threshold")
	}
	if changed, v := c.record(false); !changed || v {
		t.Fatal("two failures should make it unready")
	}
	if changed, _ := c.record(false); changed {
		t.Fatal("already unready")
	}
	if changed, v := c.record(true); !changed || !v {
		t.Fatal("success after failures should make it ready again")
	}
}

func TestProbeWaitsForInitialDelay(t *testing.T) {
	c := newProbeCounter(&corev1.Probe{InitialDelaySeconds: 60}, time.Now())
	if c.due() {
		t.Fatal("probe ran before its initial delay")
	}
	c = newProbeCounter(&corev1.Probe{}, time.Now().Add(-time.Second))
	if !c.due() || c.due() {
		t.Fatal("probe should run once, then wait for its period")
	}
}

func TestLastLines(t *testing.T) {
	data := []byte("a\nb\nc\n")
	for n, want := range map[int]string{1: "c\n", 2: "b\nc\n", 3: "a\nb\nc\n", 10: "a\nb\nc\n"} {
		if got := string(lastLines(data, n)); got != want {
			t.Errorf("lastLines(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestWriteFilesRefusesPathsOutsideTheVolume(t *testing.T) {
	dir := t.TempDir()
	for _, bad := range []string{"../x", "/etc/passwd", "a/../../x"} {
		if err := writeFiles(filepath.Join(dir, "v"), map[string][]byte{bad: []byte("x")}, 0o644); err == nil {
			t.Errorf("%q: expected refusal", bad)
		}
	}
	if err := writeFiles(filepath.Join(dir, "v"), map[string][]byte{"a/b": []byte("x")}, 0o600); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, "v", "a", "b"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("file %v %v", info, err)
	}
}

func TestFieldValues(t *testing.T) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", UID: "u1",
		Labels: map[string]string{"app": "echo"}}}
	cases := map[string]string{
		"metadata.name": "p", "metadata.namespace": "ns", "metadata.uid": "u1",
		"metadata.labels['app']": "echo", "status.podIP": "10.244.1.2", "spec.nodeName": "n1",
		"metadata.labels": "app=\"echo\"\n",
	}
	for path, want := range cases {
		got, err := fieldValue(pod, path, "10.244.1.2", "n1")
		if err != nil || got != want {
			t.Errorf("%s = %q, %v; want %q", path, got, err, want)
		}
	}
	if _, err := fieldValue(pod, "spec.nope", "", ""); err == nil {
		t.Error("unknown field path should fail")
	}
}

func TestContainerMountsResolveVolumesAndRejectEscapes(t *testing.T) {
	pod := &corev1.Pod{Spec: corev1.PodSpec{Volumes: []corev1.Volume{
		{Name: "cfg", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{}}},
		{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/run/x"}}},
	}}}
	c := &corev1.Container{Name: "c", VolumeMounts: []corev1.VolumeMount{
		{Name: "cfg", MountPath: "/etc/app", ReadOnly: true},
		{Name: "host", MountPath: "/run/x"},
		{Name: "cfg", MountPath: "/etc/one", SubPath: "one.conf"},
	}}
	mounts, err := containerMounts(pod, c, "/state/pod", "/state/root")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/state/pod/volumes/cfg=/etc/app:ro", "/state/root/run/x=/run/x", "/state/pod/volumes/cfg/one.conf=/etc/one"}
	for i, m := range mounts {
		if m.String() != want[i] {
			t.Errorf("mount %d = %s, want %s", i, m, want[i])
		}
	}
	c.VolumeMounts = []corev1.VolumeMount{{Name: "cfg", MountPath: "/x", SubPath: "../../etc"}}
	if _, err := containerMounts(pod, c, "/state/pod", "/state/root"); err == nil {
		t.Error("subPath escaping the volume should fail")
	}
	c.VolumeMounts = []corev1.VolumeMount{{Name: "missing", MountPath: "/x"}}
	if _, err := containerMounts(pod, c, "/state/pod", "/state/root"); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing volume: %v", err)
	}
}

func TestResolvePort(t *testing.T) {
	c := &corev1.Container{Name: "c", Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}}
	if p, err := resolvePort(c, intstr.FromString("http")); err != nil || p != 8080 {
		t.Errorf("named port: %d %v", p, err)
	}
	if p, err := resolvePort(c, intstr.FromInt32(9090)); err != nil || p != 9090 {
		t.Errorf("number: %d %v", p, err)
	}
	if _, err := resolvePort(c, intstr.FromString("grpc")); err == nil {
		t.Error("unknown named port should fail")
	}
}

func TestExpandRefs(t *testing.T) {
	values := map[string]string{"A": "1", "B": "two"}
	for in, want := range map[string]string{
		"plain": "plain", "$(A)": "1", "x$(B)y": "xtwoy", "$(C)": "$(C)", "$$(A)": "$(A)",
		"$(A": "$(A", "cost $5": "cost $5", "$": "$",
	} {
		if got := expandRefs(in, values); got != want {
			t.Errorf("expandRefs(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestResourceFieldRefs(t *testing.T) {
	c := &corev1.Container{Resources: corev1.ResourceRequirements{
		Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")},
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m")},
	}}
	check := func(res, divisor, want string) {
		t.Helper()
		ref := &corev1.ResourceFieldSelector{Resource: res}
		if divisor != "" {
			ref.Divisor = resource.MustParse(divisor)
		}
		got, err := resourceValue(c, ref)
		if err != nil || got != want {
			t.Errorf("%s/%s = %q, %v; want %q", res, divisor, got, err, want)
		}
	}
	check("limits.memory", "1Mi", "64")
	check("requests.cpu", "", "1")
	check("requests.cpu", "1m", "500")
	check("requests.memory", "", "0")
	check("limits.cpu", "", strconv.Itoa(runtime.NumCPU()))
	if _, err := resourceValue(c, &corev1.ResourceFieldSelector{Resource: "cpu"}); err == nil {
		t.Error("a resource without limits./requests. should fail")
	}
}

func TestNodeOwnedHostPathsArePerNode(t *testing.T) {
	root := "/state/lab-node-1/root"
	cases := map[string]string{
		"/etc/cni/net.d":            root + "/etc/cni/net.d",
		"/etc/cni":                  root + "/etc/cni",
		"/opt/cni/bin":              root + "/opt/cni/bin",
		"/var/run/ztunnel":          root + "/run/ztunnel",
		"/run/ztunnel/ztunnel.sock": root + "/run/ztunnel/ztunnel.sock",
		"/var/lib/ambient/cni/":     root + "/var/lib/ambient/cni",
		"/var/run/netns":            "/var/run/netns",
		"/run/netns":                "/run/netns",
		"/run":                      "/run",
		"/var/lib":                  "/var/lib",
		"/proc":                     "/proc",
		"/etc/ssl":                  "/etc/ssl",
	}
	for in, want := range cases {
		if got := onNode(root, in); got != want {
			t.Errorf("onNode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHostPathVolumesOfTwoNodesDoNotMeet(t *testing.T) {
	state := t.TempDir()
	dirOrCreate := corev1.HostPathDirectoryOrCreate
	h := &corev1.HostPathVolumeSource{Path: "/etc/cni/net.d", Type: &dirOrCreate}
	one, two := nodeRoot(filepath.Join(state, "n1")), nodeRoot(filepath.Join(state, "n2"))
	for _, r := range []string{one, two} {
		if err := prepareHostPath(h, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(one, "etc/cni/net.d/10-x.conflist"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(two, "etc/cni/net.d/10-x.conflist")); !os.IsNotExist(err) {
		t.Errorf("node 2 sees node 1's file: %v", err)
	}
	_ = os.MkdirAll(filepath.Join(one, "run/ztunnel"), 0o755)
	_ = os.MkdirAll(filepath.Join(one, "run/netns"), 0o755)
	var got []string
	for _, m := range nodeView(one) {
		got = append(got, m.String())
	}
	want := []string{one + "/etc/cni=/etc/cni", one + "/run/ztunnel=/run/ztunnel"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("nodeView = %v, want %v", got, want)
	}
}

func TestMountPropagationReachesPodInit(t *testing.T) {
	h2c := corev1.MountPropagationHostToContainer
	pod := &corev1.Pod{Spec: corev1.PodSpec{Volumes: []corev1.Volume{
		{Name: "netns", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/run/netns"}}},
	}}}
	c := &corev1.Container{Name: "c", VolumeMounts: []corev1.VolumeMount{{Name: "netns", MountPath: "/var/run/netns", MountPropagation: &h2c}}}
	mounts, err := containerMounts(pod, c, "/state/pod", "/state/root")
	if err != nil || len(mounts) != 1 || mounts[0].String() != "/var/run/netns=/var/run/netns:rslave" {
		t.Fatalf("mounts %v %v", mounts, err)
	}
	back, err := podinit.ParseMount(mounts[0].String() + "")
	if err != nil || !back.HostToContainer || back.Target != "/var/run/netns" {
		t.Fatalf("parsed %+v %v", back, err)
	}
	ro, err := podinit.ParseMount("/a=/b:ro:rslave")
	if err != nil || !ro.ReadOnly || !ro.HostToContainer || ro.Target != "/b" {
		t.Fatalf("parsed %+v %v", ro, err)
	}
}

func TestArgsExpandEnvironmentReferences(t *testing.T) {
	got := expandArgs([]string{"/bin/mesh", "--node=$(NODE_NAME)", "$(UNKNOWN)", "$$(NODE_NAME)"}, []string{"NODE_NAME=lab-node-1", "A=b=c"})
	want := []string{"/bin/mesh", "--node=lab-node-1", "$(UNKNOWN)", "$(NODE_NAME)"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("expandArgs = %v, want %v", got, want)
	}
}
