// Package agent is the lab's node agent: the kubelet's role for one node. It registers the Node,
// runs the pods the scheduler binds to it as processes in network namespaces of their own,
// reports their status, and serves the kubelet API (exec, logs, port-forward) the API server
// proxies to. The Kubernetes side (node lease, pod informers, status updates, the SPDY streams)
// is virtual-kubelet's; this package is the runtime underneath.
package agent

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"dev.ambient/lab/labctl/internal/images"
	"github.com/virtual-kubelet/virtual-kubelet/errdefs"
	"github.com/virtual-kubelet/virtual-kubelet/node"
	"github.com/virtual-kubelet/virtual-kubelet/node/nodeutil"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/client-go/kubernetes"
	corev1listers "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/clientcmd"
	statsv1alpha1 "k8s.io/kubelet/pkg/apis/stats/v1alpha1"

	dto "github.com/prometheus/client_model/go"
)

// KubeletVersion is what the Node reports; it matches the control plane the lab builds.
const KubeletVersion = "v1.35.4"

// Config is the agent's command line.
type Config struct {
	Name          string
	NodeIP        string
	PodCIDR       string
	Kubeconfig    string
	TLSCert       string
	TLSKey        string
	ClientCA      string
	StateDir      string
	ImagesPath    string
	Repo          string
	Bins          map[string]string
	ClusterDNS    string
	ClusterDomain string
	APIServiceIP  string
	CNIConfDir    string
	CNIBinDir     string
	ListenPort    int
}

// Agent is the virtual-kubelet provider: the pods of this node and their runtimes.
type Agent struct {
	cfg    Config
	client kubernetes.Interface
	images *images.Table
	ipam   *ipam
	cni    *cniChain
	self   string
	pods   corev1listers.PodLister

	mu       sync.Mutex
	runtimes map[string]*podRuntime // namespace/name
	notifyFn func(*corev1.Pod)
}

type binFlag map[string]string

func (b binFlag) String() string { return fmt.Sprint(map[string]string(b)) }
func (b binFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" || v == "" {
		return fmt.Errorf("--bin %q: want component=directory", s)
	}
	b[k] = v
	return nil
}

func parseFlags(args []string) (Config, error) {
	cfg := Config{Bins: map[string]string{}}
	fs := flag.NewFlagSet("node", flag.ContinueOnError)
	fs.StringVar(&cfg.Name, "name", "", "node name (required)")
	fs.StringVar(&cfg.NodeIP, "node-ip", "", "the node's InternalIP (required)")
	fs.StringVar(&cfg.PodCIDR, "pod-cidr", "", "the node's pod CIDR (required)")
	fs.StringVar(&cfg.Kubeconfig, "kubeconfig", "", "kubeconfig with the node's identity (required)")
	fs.StringVar(&cfg.TLSCert, "tls-cert", "", "kubelet API serving certificate (required)")
	fs.StringVar(&cfg.TLSKey, "tls-key", "", "kubelet API serving key (required)")
	fs.StringVar(&cfg.ClientCA, "client-ca", "", "CA of the API server's kubelet client certificate (required)")
	fs.StringVar(&cfg.StateDir, "state-dir", "", "the node's directory for pod files and logs (required)")
	fs.StringVar(&cfg.ImagesPath, "images", "", "the image table (required)")
	fs.StringVar(&cfg.Repo, "repo", "", "repository root, ${repo} in the image table")
	fs.Var(binFlag(cfg.Bins), "bin", "component=directory, ${bin:component} in the image table (repeatable)")
	fs.StringVar(&cfg.ClusterDNS, "cluster-dns", "10.96.0.10", "cluster DNS service IP for pods' resolv.conf")
	fs.StringVar(&cfg.ClusterDomain, "cluster-domain", "cluster.local", "cluster domain")
	fs.StringVar(&cfg.APIServiceIP, "api-service-ip", "10.96.0.1", "the kubernetes Service's ClusterIP")
	fs.StringVar(&cfg.CNIConfDir, "cni-conf-dir", "", "chained CNI plugin configurations (default: the node's /etc/cni/net.d, <state-dir>/root/etc/cni/net.d)")
	fs.StringVar(&cfg.CNIBinDir, "cni-bin-dir", "", "CNI plugin programs (default: the node's /opt/cni/bin, <state-dir>/root/opt/cni/bin)")
	fs.IntVar(&cfg.ListenPort, "port", 10250, "kubelet API port")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	for name, v := range map[string]string{
		"--name": cfg.Name, "--node-ip": cfg.NodeIP, "--pod-cidr": cfg.PodCIDR, "--kubeconfig": cfg.Kubeconfig,
		"--tls-cert": cfg.TLSCert, "--tls-key": cfg.TLSKey, "--client-ca": cfg.ClientCA,
		"--state-dir": cfg.StateDir, "--images": cfg.ImagesPath,
	} {
		if v == "" {
			return cfg, fmt.Errorf("%s is required", name)
		}
	}
	if net.ParseIP(cfg.NodeIP) == nil {
		return cfg, fmt.Errorf("--node-ip %q is not an IP address", cfg.NodeIP)
	}
	if cfg.CNIConfDir == "" {
		cfg.CNIConfDir = filepath.Join(nodeRoot(cfg.StateDir), "etc", "cni", "net.d")
	}
	if cfg.CNIBinDir == "" {
		cfg.CNIBinDir = filepath.Join(nodeRoot(cfg.StateDir), "opt", "cni", "bin")
	}
	return cfg, nil
}

// Run runs the agent until SIGTERM or SIGINT, then stops its pods.
func Run(args []string) error {
	cfg, err := parseFlags(args)
	if err != nil {
		return err
	}
	log.SetPrefix(cfg.Name + " ")
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	a, err := newAgent(cfg)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	removeLeftovers(ctx, a.podsDir())

	n, err := nodeutil.NewNode(cfg.Name,
		func(pc nodeutil.ProviderConfig) (nodeutil.Provider, node.NodeProvider, error) {
			a.pods = pc.Pods
			return a, nil, nil
		},
		nodeutil.WithClient(a.client),
		a.nodeSpec,
		nodeutil.WithTLSConfig(nodeutil.WithKeyPairFromPath(cfg.TLSCert, cfg.TLSKey), nodeutil.WithCAFromPath(cfg.ClientCA)),
		a.routes,
	)
	if err != nil {
		return fmt.Errorf("node %s: %w", cfg.Name, err)
	}
	go func() {
		if err := n.WaitReady(ctx, 0); err == nil {
			log.Printf("node %s registered and ready; kubelet API on %s:%d", cfg.Name, cfg.NodeIP, cfg.ListenPort)
		}
	}()
	runErr := n.Run(ctx)
	a.stopAll()
	if ctx.Err() != nil {
		return nil
	}
	return runErr
}

func newAgent(cfg Config) (*Agent, error) {
	restCfg, err := clientcmd.BuildConfigFromFlags("", cfg.Kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("--kubeconfig %s: %w", cfg.Kubeconfig, err)
	}
	restCfg.QPS, restCfg.Burst = 50, 100
	client, err := kubernetes.NewForConfig(restCfg)
	if err != nil {
		return nil, err
	}
	vars := map[string]string{"repo": cfg.Repo}
	for k, v := range cfg.Bins {
		vars["bin:"+k] = v
	}
	table, err := images.Load(cfg.ImagesPath, vars)
	if err != nil {
		return nil, err
	}
	pool, err := newIPAM(cfg.PodCIDR)
	if err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(cfg.StateDir, "pods"), 0o755); err != nil {
		return nil, err
	}
	return &Agent{
		cfg: cfg, client: client, images: table, ipam: pool, self: self,
		cni: &cniChain{confDir: cfg.CNIConfDir, binDir: cfg.CNIBinDir,
			podInit: self, nodeRoot: nodeRoot(cfg.StateDir)},
		runtimes: map[string]*podRuntime{},
	}, nil
}

func (a *Agent) podsDir() string { return filepath.Join(a.cfg.StateDir, "pods") }

// nodeSpec fills the Node the agent registers: addresses, the kubelet endpoint, capacity.
func (a *Agent) nodeSpec(c *nodeutil.NodeConfig) error {
	cfg := a.cfg
	c.HTTPListenAddr = net.JoinHostPort(cfg.NodeIP, fmt.Sprint(cfg.ListenPort))
	// The agent resolves env itself when a container starts (see env.go).
	c.SkipDownwardAPIResolution = true
	c.NumWorkers = 4
	n := &c.NodeSpec
	n.Labels = map[string]string{
		"kubernetes.io/hostname": cfg.Name,
		"kubernetes.io/os":       "linux",
		"kubernetes.io/arch":     runtime.GOARCH,
		"type":                   "ambient-lab",
	}
	n.Spec.PodCIDR = cfg.PodCIDR
	n.Spec.PodCIDRs = []string{cfg.PodCIDR}
	n.Status.Capacity, n.Status.Allocatable = nodeCapacity(), nodeCapacity()
	n.Status.Addresses = []corev1.NodeAddress{
		{Type: corev1.NodeInternalIP, Address: cfg.NodeIP},
		{Type: corev1.NodeHostName, Address: cfg.Name},
	}
	n.Status.DaemonEndpoints.KubeletEndpoint.Port = int32(cfg.ListenPort)
	n.Status.NodeInfo = corev1.NodeSystemInfo{
		KubeletVersion:          KubeletVersion,
		OperatingSystem:         "linux",
		Architecture:            runtime.GOARCH,
		ContainerRuntimeVersion: "ambient-lab://processes",
		KernelVersion:           kernelVersion(),
	}
	return nil
}

// nodeCapacity is what the Node offers the scheduler. Nothing is enforced: the numbers only let
// pods with requests schedule.
func nodeCapacity() corev1.ResourceList {
	return corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse(fmt.Sprint(runtime.NumCPU())),
		corev1.ResourceMemory: resource.MustParse("16Gi"),
		corev1.ResourcePods:   resource.MustParse("110"),
	}
}

func kernelVersion() string {
	var u syscall.Utsname
	if syscall.Uname(&u) != nil {
		return ""
	}
	b := make([]byte, 0, len(u.Release))
	for _, c := range u.Release {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(b)
}

// routes serves the kubelet API to the API server only: the client certificate must be one
// the cluster CA signed for a system:masters identity (the API server's kubelet client).
func (a *Agent) routes(c *nodeutil.NodeConfig) error {
	mux := http.NewServeMux()
	if err := nodeutil.AttachProviderRoutes(mux)(c); err != nil {
		return err
	}
	c.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !fromAPIServer(r.TLS) {
			http.Error(w, "forbidden: the kubelet API serves the API server's kubelet client only", http.StatusForbidden)
			return
		}
		mux.ServeHTTP(w, r)
	})
	c.StreamCreationTimeout = 30 * time.Second
	c.StreamIdleTimeout = 4 * time.Hour
	return nil
}

func fromAPIServer(state *tls.ConnectionState) bool {
	if state == nil || len(state.VerifiedChains) == 0 {
		return false
	}
	for _, o := range state.VerifiedChains[0][0].Subject.Organization {
		if o == "system:masters" {
			return true
		}
	}
	return false
}

func podKey(namespace, name string) string { return namespace + "/" + name }

func (a *Agent) lookup(namespace, name string) *podRuntime {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.runtimes[podKey(namespace, name)]
}

// notify pushes a pod's current status to the pod controller.
func (a *Agent) notify(p *podRuntime) {
	a.mu.Lock()
	fn := a.notifyFn
	a.mu.Unlock()
	if fn == nil {
		return
	}
	pod := p.pod.DeepCopy()
	pod.Status = p.status()
	fn(pod)
}

// CreatePod starts the pod; setup and containers run in the background and report by notify.
func (a *Agent) CreatePod(ctx context.Context, pod *corev1.Pod) error {
	key := podKey(pod.Namespace, pod.Name)
	a.mu.Lock()
	if existing, ok := a.runtimes[key]; ok && existing.pod.UID == pod.UID {
		a.mu.Unlock()
		return nil
	}
	p := newPodRuntime(a, pod.DeepCopy())
	a.runtimes[key] = p
	a.mu.Unlock()
	log.Printf("pod %s: creating (uid %s)", key, pod.UID)
	a.notify(p)
	go p.start()
	return nil
}

// UpdatePod accepts changes the kubelet would apply in place; container images are immutable
// in the lab (there is nothing to pull), so it only records the new spec.
func (a *Agent) UpdatePod(ctx context.Context, pod *corev1.Pod) error {
	p := a.lookup(pod.Namespace, pod.Name)
	if p == nil {
		return errdefs.NotFoundf("pod %s/%s is not on this node", pod.Namespace, pod.Name)
	}
	p.mu.Lock()
	p.pod.ObjectMeta = *pod.ObjectMeta.DeepCopy()
	p.mu.Unlock()
	return nil
}

// DeletePod stops the pod: SIGTERM, the grace period, SIGKILL, then its network and files. The
// pod controller removes it from the API once the terminal status is reported.
func (a *Agent) DeletePod(ctx context.Context, pod *corev1.Pod) error {
	p := a.lookup(pod.Namespace, pod.Name)
	if p == nil || p.pod.UID != pod.UID {
		return errdefs.NotFoundf("pod %s/%s is not on this node", pod.Namespace, pod.Name)
	}
	grace := 30 * time.Second
	if pod.DeletionGracePeriodSeconds != nil {
		grace = time.Duration(*pod.DeletionGracePeriodSeconds) * time.Second
	} else if pod.Spec.TerminationGracePeriodSeconds != nil {
		grace = time.Duration(*pod.Spec.TerminationGracePeriodSeconds) * time.Second
	}
	log.Printf("pod %s: deleting (grace %s)", podKey(pod.Namespace, pod.Name), grace)
	done := p.stop(grace)
	go func() {
		<-done
		a.notify(p)
		a.mu.Lock()
		if a.runtimes[podKey(pod.Namespace, pod.Name)] == p {
			delete(a.runtimes, podKey(pod.Namespace, pod.Name))
		}
		a.mu.Unlock()
		log.Printf("pod %s: deleted", podKey(pod.Namespace, pod.Name))
	}()
	return nil
}

// GetPod returns the pod with its current status.
func (a *Agent) GetPod(ctx context.Context, namespace, name string) (*corev1.Pod, error) {
	p := a.lookup(namespace, name)
	if p == nil {
		return nil, errdefs.NotFoundf("pod %s/%s is not on this node", namespace, name)
	}
	pod := p.pod.DeepCopy()
	pod.Status = p.status()
	return pod, nil
}

// GetPodStatus returns the pod's current status.
func (a *Agent) GetPodStatus(ctx context.Context, namespace, name string) (*corev1.PodStatus, error) {
	pod, err := a.GetPod(ctx, namespace, name)
	if err != nil {
		return nil, err
	}
	return &pod.Status, nil
}

// GetPods lists the pods this node runs.
func (a *Agent) GetPods(ctx context.Context) ([]*corev1.Pod, error) {
	a.mu.Lock()
	list := make([]*podRuntime, 0, len(a.runtimes))
	for _, p := range a.runtimes {
		list = append(list, p)
	}
	a.mu.Unlock()
	pods := make([]*corev1.Pod, 0, len(list))
	for _, p := range list {
		pod := p.pod.DeepCopy()
		pod.Status = p.status()
		pods = append(pods, pod)
	}
	return pods, nil
}

// NotifyPods registers the pod controller's status callback.
func (a *Agent) NotifyPods(ctx context.Context, fn func(*corev1.Pod)) {
	a.mu.Lock()
	a.notifyFn = fn
	a.mu.Unlock()
}

// GetStatsSummary is not measured in the lab: an empty summary for this node.
func (a *Agent) GetStatsSummary(context.Context) (*statsv1alpha1.Summary, error) {
	return &statsv1alpha1.Summary{Node: statsv1alpha1.NodeStats{NodeName: a.cfg.Name}}, nil
}

// GetMetricsResource is not measured in the lab.
func (a *Agent) GetMetricsResource(context.Context) ([]*dto.MetricFamily, error) {
	return nil, nil
}

// stopAll stops every pod, used when the agent itself stops.
func (a *Agent) stopAll() {
	a.mu.Lock()
	list := make([]*podRuntime, 0, len(a.runtimes))
	for _, p := range a.runtimes {
		list = append(list, p)
	}
	a.mu.Unlock()
	var dones []<-chan struct{}
	for _, p := range list {
		dones = append(dones, p.stop(5*time.Second))
	}
	for _, d := range dones {
		<-d
	}
}
