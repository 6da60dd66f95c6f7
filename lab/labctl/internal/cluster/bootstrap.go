package cluster

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// managedBy marks objects this program owns, so the EndpointSlice controllers leave the kube-dns
// slice alone.
const managedBy = "ambient-lab-labctl"

// bootstrap creates the cluster objects the lab needs beyond the apiserver's defaults.
func bootstrap(ctx context.Context, cs *kubernetes.Clientset) error {
	rbac := cs.RbacV1()
	labels := map[string]string{"app.kubernetes.io/managed-by": managedBy}

	// The Node authorizer lets a node read only the secrets and configmaps of pods bound to it,
	// one object at a time; the agent's informers list and watch them cluster-wide. It also
	// mints projected service-account tokens and records events.
	agentRole := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "ambient-lab:node-agent", Labels: labels},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"configmaps", "secrets", "services", "endpoints", "pods"},
				Verbs: []string{"get", "list", "watch"}},
			{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: []string{"get", "list", "watch"}},
			{APIGroups: []string{""}, Resources: []string{"serviceaccounts/token"}, Verbs: []string{"create"}},
			{APIGroups: []string{"", "events.k8s.io"}, Resources: []string{"events"}, Verbs: []string{"create", "patch", "update"}},
		},
	}
	agentBinding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "ambient-lab:node-agent", Labels: labels},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: agentRole.Name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: "system:nodes"}},
	}
	// What CoreDNS's kubernetes plugin lists and watches (the upstream system:coredns role).
	dnsRole := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "ambient-lab:coredns", Labels: labels},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"endpoints", "services", "pods", "namespaces"}, Verbs: []string{"list", "watch"}},
			{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: []string{"list", "watch"}},
		},
	}
	dnsBinding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "ambient-lab:coredns", Labels: labels},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: dnsRole.Name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: userCoreDNS}},
	}
	for _, r := range []*rbacv1.ClusterRole{agentRole, dnsRole} {
		if _, err := rbac.ClusterRoles().Create(ctx, r, metav1.CreateOptions{}); ignoreExists(err) != nil {
			return fmt.Errorf("create ClusterRole %s: %w", r.Name, ignoreExists(err))
		}
	}
	for _, b := range []*rbacv1.ClusterRoleBinding{agentBinding, dnsBinding} {
		if _, err := rbac.ClusterRoleBindings().Create(ctx, b, metav1.CreateOptions{}); ignoreExists(err) != nil {
			return fmt.Errorf("create ClusterRoleBinding %s: %w", b.Name, ignoreExists(err))
		}
	}

	// kube-dns without a selector: CoreDNS is a host process, not a pod, so its endpoint is
	// written by hand.
	dnsLabels := map[string]string{"k8s-app": "kube-dns", "kubernetes.io/name": "CoreDNS", "app.kubernetes.io/managed-by": managedBy}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "kube-dns", Namespace: "kube-system", Labels: dnsLabels},
		Spec: corev1.ServiceSpec{
			ClusterIP: dnsServiceIP,
			Ports: []corev1.ServicePort{
				{Name: "dns", Protocol: corev1.ProtocolUDP, Port: 53, TargetPort: intstr.FromInt32(53)},
				{Name: "dns-tcp", Protocol: corev1.ProtocolTCP, Port: 53, TargetPort: intstr.FromInt32(53)},
			},
		},
	}
	if _, err := cs.CoreV1().Services("kube-system").Create(ctx, svc, metav1.CreateOptions{}); ignoreExists(err) != nil {
		return fmt.Errorf("create Service kube-system/kube-dns: %w", ignoreExists(err))
	}
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Name: "kube-dns-host", Namespace: "kube-system", Labels: map[string]string{
			discoveryv1.LabelServiceName: "kube-dns",
			discoveryv1.LabelManagedBy:   managedBy,
		}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{{
			Addresses:  []string{hostIP},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)},
		}},
		Ports: []discoveryv1.EndpointPort{
			{Name: ptr.To("dns"), Protocol: ptr.To(corev1.ProtocolUDP), Port: ptr.To[int32](53)},
			{Name: ptr.To("dns-tcp"), Protocol: ptr.To(corev1.ProtocolTCP), Port: ptr.To[int32](53)},
		},
	}
	if _, err := cs.DiscoveryV1().EndpointSlices("kube-system").Create(ctx, slice, metav1.CreateOptions{}); ignoreExists(err) != nil {
		return fmt.Errorf("create EndpointSlice kube-system/%s: %w", slice.Name, ignoreExists(err))
	}
	return nil
}

// ignoreExists treats an existing object as success, and marks rejections that a retry cannot
// fix as permanent so up fails at once instead of at its timeout.
func ignoreExists(err error) error {
	switch {
	case err == nil || apierrors.IsAlreadyExists(err):
		return nil
	case apierrors.IsInvalid(err) || apierrors.IsForbidden(err) || apierrors.IsBadRequest(err):
		return &permanentError{err}
	}
	return err
}
