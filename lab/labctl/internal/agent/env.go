package agent

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The agent resolves containers' environments itself, when the container starts, because only
// then is the pod's IP known (virtual-kubelet would resolve them earlier, and cannot resolve
// status.podIP at all). The rules are the kubelet's: envFrom first, then env in order, later
// names winning, $(VAR) referring to variables defined before.

// configError is a container configuration the agent cannot satisfy (a missing ConfigMap key,
// say); it is reported as CreateContainerConfigError.
type configError struct{ msg string }

func (e *configError) Error() string { return e.msg }

func (p *podRuntime) resolveEnv(c *containerState) ([]string, error) {
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	p.mu.Lock()
	ip := p.podIP
	p.mu.Unlock()
	cfg := p.agent.cfg
	values := map[string]string{}
	var order []string
	set := func(k, v string) {
		if _, seen := values[k]; !seen {
			order = append(order, k)
		}
		values[k] = v
	}
	for i, ef := range c.spec.EnvFrom {
		var data map[string]string
		var err error
		switch {
		case ef.ConfigMapRef != nil:
			data, err = p.configMapData(ctx, ef.ConfigMapRef.Name, ef.ConfigMapRef.Optional)
		case ef.SecretRef != nil:
			data, err = p.secretData(ctx, ef.SecretRef.Name, ef.SecretRef.Optional)
		}
		if err != nil {
			return nil, &configError{fmt.Sprintf("container %s envFrom[%d]: %v", c.spec.Name, i, err)}
		}
		for k, v := range data {
			set(ef.Prefix+k, v)
		}
	}
	for i, e := range c.spec.Env {
		if e.ValueFrom == nil {
			set(e.Name, expandRefs(e.Value, values))
			continue
		}
		v, err := p.valueFrom(ctx, c, e.ValueFrom, ip)
		if err != nil {
			return nil, &configError{fmt.Sprintf("container %s env[%d] (%s): %v", c.spec.Name, i, e.Name, err)}
		}
		set(e.Name, v)
	}
	// What a kubelet adds, unless the spec set it: the API server's Service, and our basics.
	sa := p.pod.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	defaults := [][2]string{
		{"POD_NAME", p.pod.Name}, {"POD_NAMESPACE", p.pod.Namespace}, {"POD_IP", ip},
		{"NODE_NAME", cfg.Name}, {"SERVICE_ACCOUNT", sa}, {"HOSTNAME", p.hostname()},
		{"KUBERNETES_SERVICE_HOST", cfg.APIServiceIP}, {"KUBERNETES_SERVICE_PORT", "443"},
		{"KUBERNETES_SERVICE_PORT_HTTPS", "443"},
		{"KUBERNETES_PORT", "tcp://" + net.JoinHostPort(cfg.APIServiceIP, "443")},
		{"PATH", p.defaultPath(c)}, {"HOME", "/root"},
	}
	for _, d := range defaults {
		if _, ok := values[d[0]]; !ok {
			set(d[0], d[1])
		}
	}
	env := make([]string, 0, len(order))
	for _, k := range order {
		env = append(env, k+"="+values[k])
	}
	return env, nil
}

func (p *podRuntime) defaultPath(c *containerState) string {
	path := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	if img, err := p.agent.images.Lookup(c.spec.Image); err == nil && len(img.Path) > 0 {
		path = strings.Join(img.Path, ":") + ":" + path
	}
	return path
}

// containerEnv is the environment of the container's running process, for exec and probes.
func (p *podRuntime) containerEnv(c *containerState) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), c.env...)
}

func (p *podRuntime) valueFrom(ctx context.Context, c *containerState, src *corev1.EnvVarSource, ip string) (string, error) {
	switch {
	case src.FieldRef != nil:
		switch src.FieldRef.FieldPath {
		case "status.hostIP", "status.hostIPs":
			return p.agent.cfg.NodeIP, nil
		}
		return fieldValue(p.pod, src.FieldRef.FieldPath, ip, p.agent.cfg.Name)
	case src.ResourceFieldRef != nil:
		return resourceValue(&c.spec, src.ResourceFieldRef)
	case src.ConfigMapKeyRef != nil:
		ref := src.ConfigMapKeyRef
		data, err := p.configMapData(ctx, ref.Name, ref.Optional)
		if err != nil {
			return "", err
		}
		v, ok := data[ref.Key]
		if !ok && (ref.Optional == nil || !*ref.Optional) {
			return "", fmt.Errorf("configMap %s has no key %q", ref.Name, ref.Key)
		}
		return v, nil
	case src.SecretKeyRef != nil:
		ref := src.SecretKeyRef
		data, err := p.secretData(ctx, ref.Name, ref.Optional)
		if err != nil {
			return "", err
		}
		v, ok := data[ref.Key]
		if !ok && (ref.Optional == nil || !*ref.Optional) {
			return "", fmt.Errorf("secret %s has no key %q", ref.Name, ref.Key)
		}
		return v, nil
	}
	return "", fmt.Errorf("unsupported valueFrom")
}

func (p *podRuntime) configMapData(ctx context.Context, name string, optional *bool) (map[string]string, error) {
	cm, err := p.agent.client.CoreV1().ConfigMaps(p.pod.Namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		if optional != nil && *optional {
			return map[string]string{}, nil
		}
		return nil, fmt.Errorf("configMap %s/%s: %w", p.pod.Namespace, name, err)
	}
	return cm.Data, nil
}

func (p *podRuntime) secretData(ctx context.Context, name string, optional *bool) (map[string]string, error) {
	s, err := p.agent.client.CoreV1().Secrets(p.pod.Namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		if optional != nil && *optional {
			return map[string]string{}, nil
		}
		return nil, fmt.Errorf("secret %s/%s: %w", p.pod.Namespace, name, err)
	}
	data := map[string]string{}
	for k, v := range s.Data {
		data[k] = string(v)
	}
	return data, nil
}

// expandArgs expands $(VAR) in a container's command and args with its environment, as the
// kubelet does (a DaemonSet passes --node=$(NODE_NAME) this way).
func expandArgs(argv, env []string) []string {
	values := map[string]string{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			values[k] = v
		}
	}
	out := make([]string, len(argv))
	for i, a := range argv {
		out[i] = expandRefs(a, values)
	}
	return out
}

// expandRefs replaces $(NAME) with earlier variables' values, leaves unknown references as
// written, and turns $$ into $, as the kubelet does.
func expandRefs(s string, values map[string]string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			name := s[i+2 : i+2+end]
			if v, ok := values[name]; ok {
				b.WriteString(v)
			} else {
				b.WriteString(s[i : i+3+end])
			}
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}

// resourceValue resolves a resourceFieldRef. No limits are enforced in the lab: an unset limit
// reads as the node's capacity (as a kubelet reports it), an unset request as 0.
func resourceValue(c *corev1.Container, ref *corev1.ResourceFieldSelector) (string, error) {
	kind, name, ok := strings.Cut(ref.Resource, ".")
	if !ok || (kind != "limits" && kind != "requests") {
		return "", fmt.Errorf("resourceFieldRef %q: want limits.<name> or requests.<name>", ref.Resource)
	}
	q, set := c.Resources.Requests[corev1.ResourceName(name)]
	if kind == "limits" {
		q, set = c.Resources.Limits[corev1.ResourceName(name)]
		if !set {
			q, set = nodeCapacity()[corev1.ResourceName(name)]
		}
	}
	if !set {
		return "0", nil
	}
	divisor := ref.Divisor
	if divisor.IsZero() {
		divisor = resource.MustParse("1")
	}
	// Rounded up, as the kubelet does: 500m of CPU with divisor 1 reads as 1.
	value := (q.MilliValue() + divisor.MilliValue() - 1) / divisor.MilliValue()
	return strconv.FormatInt(value, 10), nil
}
