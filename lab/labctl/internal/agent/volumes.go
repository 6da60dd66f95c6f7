package agent

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"dev.ambient/lab/labctl/internal/podinit"
	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Volumes are directories under the pod's directory, bind-mounted into each container's view by
// pod-init. Their contents are written atomically (temp file, rename) so a refresh of a token or
// ConfigMap is seen whole, as in a real kubelet.

const defaultTokenSeconds = 3600

type volumeWriter struct {
	client   kubernetes.Interface
	nodeName string
	pod      *corev1.Pod
	dir      string // the pod's directory; volumes live in dir/volumes/<name>
	nodeRoot string // where the node's own host paths live (see nodefs.go)
}

func (w *volumeWriter) volumeDir(name string) string {
	return filepath.Join(w.dir, "volumes", name)
}

// writeAll prepares every volume of the pod. It returns the earliest time a projected token
// should be refreshed (zero when there is none).
func (w *volumeWriter) writeAll(ctx context.Context) (time.Time, error) {
	var refresh time.Time
	for i := range w.pod.Spec.Volumes {
		v := &w.pod.Spec.Volumes[i]
		r, err := w.write(ctx, v)
		if err != nil {
			return time.Time{}, fmt.Errorf("spec.volumes[%d] (%s): %w", i, v.Name, err)
		}
		if !r.IsZero() && (refresh.IsZero() || r.Before(refresh)) {
			refresh = r
		}
	}
	return refresh, nil
}

func (w *volumeWriter) write(ctx context.Context, v *corev1.Volume) (time.Time, error) {
	dir := w.volumeDir(v.Name)
	switch {
	case v.HostPath != nil:
		return time.Time{}, prepareHostPath(v.HostPath, w.nodeRoot)
	case v.EmptyDir != nil:
		return time.Time{}, os.MkdirAll(dir, 0o777)
	case v.ConfigMap != nil:
		files, err := w.configMapFiles(ctx, v.ConfigMap.Name, v.ConfigMap.Items, v.ConfigMap.Optional)
		if err != nil {
			return time.Time{}, err
		}
		return time.Time{}, writeFiles(dir, files, mode(v.ConfigMap.DefaultMode, 0o644))
	case v.Secret != nil:
		files, err := w.secretFiles(ctx, v.Secret.SecretName, v.Secret.Items, v.Secret.Optional)
		if err != nil {
			return time.Time{}, err
		}
		return time.Time{}, writeFiles(dir, files, mode(v.Secret.DefaultMode, 0o644))
	case v.DownwardAPI != nil:
		files, err := w.downwardFiles(v.DownwardAPI.Items)
		if err != nil {
			return time.Time{}, err
		}
		return time.Time{}, writeFiles(dir, files, mode(v.DownwardAPI.DefaultMode, 0o644))
	case v.Projected != nil:
		return w.writeProjected(ctx, dir, v.Projected)
	default:
		return time.Time{}, fmt.Errorf("this volume type is not supported by the lab node agent (supported: hostPath, emptyDir, configMap, secret, downwardAPI, projected)")
	}
}

func (w *volumeWriter) writeProjected(ctx context.Context, dir string, p *corev1.ProjectedVolumeSource) (time.Time, error) {
	files := map[string][]byte{}
	var refresh time.Time
	for i, src := range p.Sources {
		var part map[string][]byte
		var err error
		switch {
		case src.ServiceAccountToken != nil:
			var token []byte
			var expires time.Time
			token, expires, err = w.token(ctx, src.ServiceAccountToken)
			if err == nil {
				part = map[string][]byte{src.ServiceAccountToken.Path: token}
				// Refresh at 80% of the lifetime, as the kubelet does.
				r := time.Now().Add(time.Until(expires) * 8 / 10)
				if refresh.IsZero() || r.Before(refresh) {
					refresh = r
				}
			}
		case src.ConfigMap != nil:
			part, err = w.configMapFiles(ctx, src.ConfigMap.Name, src.ConfigMap.Items, src.ConfigMap.Optional)
		case src.Secret != nil:
			part, err = w.secretFiles(ctx, src.Secret.Name, src.Secret.Items, src.Secret.Optional)
		case src.DownwardAPI != nil:
			part, err = w.downwardFiles(src.DownwardAPI.Items)
		default:
			err = fmt.Errorf("unsupported projection (supported: serviceAccountToken, configMap, secret, downwardAPI)")
		}
		if err != nil {
			return time.Time{}, fmt.Errorf("projected.sources[%d]: %w", i, err)
		}
		for k, v := range part {
			files[k] = v
		}
	}
	return refresh, writeFiles(dir, files, mode(p.DefaultMode, 0o644))
}

func (w *volumeWriter) token(ctx context.Context, src *corev1.ServiceAccountTokenProjection) ([]byte, time.Time, error) {
	seconds := int64(defaultTokenSeconds)
	if src.ExpirationSeconds != nil {
		seconds = *src.ExpirationSeconds
	}
	req := &authv1.TokenRequest{Spec: authv1.TokenRequestSpec{
		ExpirationSeconds: &seconds,
		BoundObjectRef: &authv1.BoundObjectReference{
			Kind: "Pod", APIVersion: "v1", Name: w.pod.Name, UID: w.pod.UID,
		},
	}}
	if src.Audience != "" {
		req.Spec.Audiences = []string{src.Audience}
	}
	sa := w.pod.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	resp, err := w.client.CoreV1().ServiceAccounts(w.pod.Namespace).CreateToken(ctx, sa, req, metav1.CreateOptions{})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("token for service account %s/%s: %w", w.pod.Namespace, sa, err)
	}
	return []byte(resp.Status.Token), resp.Status.ExpirationTimestamp.Time, nil
}

func (w *volumeWriter) configMapFiles(ctx context.Context, name string, items []corev1.KeyToPath, optional *bool) (map[string][]byte, error) {
	cm, err := w.client.CoreV1().ConfigMaps(w.pod.Namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		if optional != nil && *optional {
			return map[string][]byte{}, nil
		}
		return nil, fmt.Errorf("configMap %s/%s: %w", w.pod.Namespace, name, err)
	}
	data := map[string][]byte{}
	for k, v := range cm.Data {
		data[k] = []byte(v)
	}
	for k, v := range cm.BinaryData {
		data[k] = v
	}
	return selectItems("configMap "+name, data, items)
}

func (w *volumeWriter) secretFiles(ctx context.Context, name string, items []corev1.KeyToPath, optional *bool) (map[string][]byte, error) {
	s, err := w.client.CoreV1().Secrets(w.pod.Namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		if optional != nil && *optional {
			return map[string][]byte{}, nil
		}
		return nil, fmt.Errorf("secret %s/%s: %w", w.pod.Namespace, name, err)
	}
	data := map[string][]byte{}
	for k, v := range s.Data {
		data[k] = v
	}
	for k, v := range s.StringData {
		data[k] = []byte(v)
	}
	return selectItems("secret "+name, data, items)
}

func selectItems(what string, data map[string][]byte, items []corev1.KeyToPath) (map[string][]byte, error) {
	if len(items) == 0 {
		return data, nil
	}
	out := map[string][]byte{}
	for _, it := range items {
		v, ok := data[it.Key]
		if !ok {
			return nil, fmt.Errorf("%s has no key %q", what, it.Key)
		}
		out[it.Path] = v
	}
	return out, nil
}

func (w *volumeWriter) downwardFiles(items []corev1.DownwardAPIVolumeFile) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, it := range items {
		if it.FieldRef == nil {
			return nil, fmt.Errorf("downwardAPI item %q: only fieldRef is supported", it.Path)
		}
		v, err := fieldValue(w.pod, it.FieldRef.FieldPath, "", w.nodeName)
		if err != nil {
			return nil, fmt.Errorf("downwardAPI item %q: %w", it.Path, err)
		}
		out[it.Path] = []byte(v)
	}
	return out, nil
}

// fieldValue resolves a downward-API field path of the pod.
func fieldValue(pod *corev1.Pod, path, podIP, nodeName string) (string, error) {
	switch path {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return string(pod.UID), nil
	case "metadata.labels":
		return formatMap(pod.Labels), nil
	case "metadata.annotations":
		return formatMap(pod.Annotations), nil
	case "spec.nodeName":
		return nodeName, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.podIP", "status.podIPs":
		return podIP, nil
	}
	if key, ok := strings.CutPrefix(path, "metadata.labels['"); ok {
		return pod.Labels[strings.TrimSuffix(key, "']")], nil
	}
	if key, ok := strings.CutPrefix(path, "metadata.annotations['"); ok {
		return pod.Annotations[strings.TrimSuffix(key, "']")], nil
	}
	return "", fmt.Errorf("field path %q is not supported", path)
}

func formatMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%q\n", k, m[k])
	}
	return b.String()
}

func mode(m *int32, def os.FileMode) os.FileMode {
	if m == nil {
		return def
	}
	return os.FileMode(*m) & 0o777
}

// writeFiles makes dir hold exactly files (relative paths), each replaced atomically.
func writeFiles(dir string, files map[string][]byte, perm os.FileMode) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for rel, data := range files {
		clean := filepath.Clean(rel)
		if filepath.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
			return fmt.Errorf("file path %q escapes the volume", rel)
		}
		target := filepath.Join(dir, clean)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		tmp := target + ".lab-tmp"
		if err := os.WriteFile(tmp, data, perm); err != nil {
			return err
		}
		if err := os.Chmod(tmp, perm); err != nil {
			return err
		}
		if err := os.Rename(tmp, target); err != nil {
			return err
		}
	}
	return nil
}

func prepareHostPath(h *corev1.HostPathVolumeSource, nodeRoot string) error {
	t := corev1.HostPathUnset
	if h.Type != nil {
		t = *h.Type
	}
	path := onNode(nodeRoot, h.Path)
	if path != h.Path && t == corev1.HostPathUnset {
		// A node-owned path exists on a real node before any pod mounts it; here it starts empty.
		if err := os.MkdirAll(path, 0o755); err != nil {
			return err
		}
	}
	info, err := os.Stat(path)
	switch t {
	case corev1.HostPathDirectoryOrCreate:
		if os.IsNotExist(err) {
			return os.MkdirAll(path, 0o755)
		}
	case corev1.HostPathFileOrCreate:
		if os.IsNotExist(err) {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return err
			}
			return os.WriteFile(path, nil, 0o644)
		}
	case corev1.HostPathDirectory:
		if err != nil || !info.IsDir() {
			return fmt.Errorf("hostPath %s is not a directory", h.Path)
		}
	case corev1.HostPathFile:
		if err != nil || info.IsDir() {
			return fmt.Errorf("hostPath %s is not a file", h.Path)
		}
	case corev1.HostPathSocket:
		if err != nil || info.Mode()&os.ModeSocket == 0 {
			return fmt.Errorf("hostPath %s is not a socket", h.Path)
		}
	}
	return nil
}

// containerMounts turns a container's volumeMounts into pod-init bind mounts.
func containerMounts(pod *corev1.Pod, c *corev1.Container, podDir, nodeRoot string) ([]podinit.Mount, error) {
	sources := map[string]string{}
	for _, v := range pod.Spec.Volumes {
		if v.HostPath != nil {
			sources[v.Name] = onNode(nodeRoot, v.HostPath.Path)
		} else {
			sources[v.Name] = filepath.Join(podDir, "volumes", v.Name)
		}
	}
	var mounts []podinit.Mount
	for i, vm := range c.VolumeMounts {
		src, ok := sources[vm.Name]
		if !ok {
			return nil, fmt.Errorf("container %s volumeMounts[%d]: no volume named %q", c.Name, i, vm.Name)
		}
		if vm.SubPath != "" {
			sub := filepath.Clean(vm.SubPath)
			if filepath.IsAbs(sub) || strings.HasPrefix(sub, "..") {
				return nil, fmt.Errorf("container %s volumeMounts[%d]: subPath %q escapes the volume", c.Name, i, vm.SubPath)
			}
			src = filepath.Join(src, sub)
		}
		if !filepath.IsAbs(vm.MountPath) {
			return nil, fmt.Errorf("container %s volumeMounts[%d]: mountPath %q is not absolute", c.Name, i, vm.MountPath)
		}
		slave := vm.MountPropagation != nil && *vm.MountPropagation != corev1.MountPropagationNone
		mounts = append(mounts, podinit.Mount{Source: src, Target: vm.MountPath, ReadOnly: vm.ReadOnly, HostToContainer: slave})
	}
	return mounts, nil
}
