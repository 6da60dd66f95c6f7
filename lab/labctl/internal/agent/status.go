package agent

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// status renders the pod's Kubernetes status from its runtime state.
func (p *podRuntime) status() corev1.PodStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := corev1.PodStatus{
		HostIP:    p.agent.cfg.NodeIP,
		HostIPs:   []corev1.HostIP{{IP: p.agent.cfg.NodeIP}},
		StartTime: &p.startTime,
		QOSClass:  corev1.PodQOSBestEffort,
	}
	if p.podIP != "" {
		st.PodIP = p.podIP
		st.PodIPs = []corev1.PodIP{{IP: p.podIP}}
	}
	for _, c := range p.inits {
		st.InitContainerStatuses = append(st.InitContainerStatuses, c.status())
	}
	allReady, allDone, anyFailed, allStarted := true, true, false, true
	for _, c := range p.containers {
		cs := c.status()
		st.ContainerStatuses = append(st.ContainerStatuses, cs)
		if !cs.Ready {
			allReady = false
		}
		if !c.started1 {
			allStarted = false
		}
		if cs.State.Terminated == nil {
			allDone = false
		} else if cs.State.Terminated.ExitCode != 0 {
			anyFailed = true
		}
	}
	restartsForever := p.pod.Spec.RestartPolicy == "" || p.pod.Spec.RestartPolicy == corev1.RestartPolicyAlways
	switch {
	case p.stopping && allDone:
		st.Phase = corev1.PodSucceeded
		if anyFailed {
			st.Phase = corev1.PodFailed
		}
	case p.initFailed:
		st.Phase = corev1.PodFailed
	case allDone && len(p.containers) > 0 && !restartsForever && (anyFailed && p.pod.Spec.RestartPolicy == corev1.RestartPolicyNever || !anyFailed):
		st.Phase = corev1.PodSucceeded
		if anyFailed {
			st.Phase = corev1.PodFailed
		}
	case allStarted && p.initialized:
		st.Phase = corev1.PodRunning
	default:
		st.Phase = corev1.PodPending
	}
	cond := func(t corev1.PodConditionType, ok bool, reason, msg string) corev1.PodCondition {
		s := corev1.ConditionFalse
		if ok {
			s, reason, msg = corev1.ConditionTrue, "", ""
		}
		// The transition time moves only when the status does, as the kubelet reports it.
		prev, seen := p.conditionSince[t]
		if !seen || prev.status != s {
			prev = conditionSince{status: s, at: metav1.Now()}
			p.conditionSince[t] = prev
		}
		return corev1.PodCondition{Type: t, Status: s, Reason: reason, Message: msg, LastTransitionTime: prev.at}
	}
	networkReady := p.podIP != ""
	ready := allReady && p.initialized && len(p.containers) > 0 && !p.stopping
	notReadyMsg := "containers with unready status"
	if p.conditionMsg != "" {
		notReadyMsg = p.conditionMsg
	}
	st.Conditions = []corev1.PodCondition{
		cond(corev1.PodReadyToStartContainers, networkReady, "", p.conditionMsg),
		cond(corev1.PodInitialized, p.initialized, "ContainersNotInitialized", "containers with incomplete status"),
		cond(corev1.ContainersReady, ready, "ContainersNotReady", notReadyMsg),
		cond(corev1.PodReady, ready, "ContainersNotReady", notReadyMsg),
		cond(corev1.PodScheduled, true, "", ""),
	}
	return st
}

type conditionSince struct {
	status corev1.ConditionStatus
	at     metav1.Time
}
