package main

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// workload is a document that runs pods: its pod template and selector.
type workload struct {
	doc      Document
	selector *metav1.LabelSelector
	template corev1.PodTemplateSpec
}

func workloadOf(doc Document) (workload, bool) {
	switch o := doc.Object.(type) {
	case *appsv1.Deployment:
		return workload{doc, o.Spec.Selector, o.Spec.Template}, true
	case *appsv1.StatefulSet:
		return workload{doc, o.Spec.Selector, o.Spec.Template}, true
	case *appsv1.DaemonSet:
		return workload{doc, o.Spec.Selector, o.Spec.Template}, true
	case *batchv1.Job:
		return workload{doc, o.Spec.Selector, o.Spec.Template}, true
	}
	return workload{}, false
}

// Check runs what the API server validates beyond the types, and what makes a release that
// applies cleanly still not work (a Service that selects no pod, a named probe port that no
// container has, an HPA on CPU over containers without a CPU request). The documents are one
// release: references between them are checked too.
func Check(docs []Document) []Problem {
	c := &checker{}
	var workloads []workload
	for _, doc := range docs {
		if w, ok := workloadOf(doc); ok {
			workloads = append(workloads, w)
		}
	}
	for _, doc := range docs {
		c.doc = doc
		c.metadata(doc)
		switch o := doc.Object.(type) {
		case *corev1.ConfigMap:
			for key := range o.Data {
				c.errs(field.NewPath("data").Key(key), validation.IsConfigMapKey(key))
			}
		case *corev1.Service:
			c.service(o, workloads)
		case *autoscalingv2.HorizontalPodAutoscaler:
			c.hpa(o, workloads)
		case *policyv1.PodDisruptionBudget:
			c.pdb(o, workloads)
		}
		if w, ok := workloadOf(doc); ok {
			c.workload(w)
		}
	}
	return c.problems
}

type checker struct {
	doc      Document
	problems []Problem
}

func (c *checker) add(path *field.Path, format string, args ...any) {
	c.problems = append(c.problems, Problem{Index: c.doc.Index, Source: c.doc.Source,
		Kind: c.doc.Kind, Name: c.doc.Name, Message: path.String() + ": " + fmt.Sprintf(format, args...)})
}

func (c *checker) errs(path *field.Path, messages []string) {
	for _, m := range messages {
		c.add(path, "%s", m)
	}
}

func (c *checker) fieldErrs(list field.ErrorList) {
	for _, e := range list {
		c.add(field.NewPath(e.Field), "%s", e.ErrorBody())
	}
}

func (c *checker) metadata(doc Document) {
	name := field.NewPath("metadata", "name")
	if doc.Kind == "Service" {
		c.errs(name, validation.IsDNS1035Label(doc.Name))
	} else {
		c.errs(name, validation.IsDNS1123Subdomain(doc.Name))
	}
	if meta, ok := doc.Object.(metav1.ObjectMetaAccessor); ok {
		c.fieldErrs(metavalidation.ValidateLabels(meta.GetObjectMeta().GetLabels(), field.NewPath("metadata", "labels")))
	}
}

// selects reports whether selector picks the pods of w (an empty selector picks nothing here:
// the chart's selectors are never meant to be empty).
func selects(selector *metav1.LabelSelector, w workload) bool {
	s, err := metav1.LabelSelectorAsSelector(selector)
	if err != nil || s.Empty() {
		return false
	}
	return s.Matches(labels.Set(w.template.Labels))
}

func (c *checker) workload(w workload) {
	spec := field.NewPath("spec")
	if w.selector == nil {
		if w.doc.Kind != "Job" {
			c.add(spec.Child("selector"), "required")
		}
	} else {
		c.fieldErrs(metavalidation.ValidateLabelSelector(w.selector, metavalidation.LabelSelectorValidationOptions{}, spec.Child("selector")))
		if !selects(w.selector, w) {
			c.add(spec.Child("selector"), "does not match the pod template's labels %v", w.template.Labels)
		}
	}
	template := spec.Child("template")
	c.fieldErrs(metavalidation.ValidateLabels(w.template.Labels, template.Child("metadata", "labels")))
	c.podSpec(w.template.Spec, template.Child("spec"))
}

func (c *checker) podSpec(pod corev1.PodSpec, path *field.Path) {
	volumes := map[string]bool{}
	for i, v := range pod.Volumes {
		p := path.Child("volumes").Index(i).Child("name")
		c.errs(p, validation.IsDNS1123Label(v.Name))
		if volumes[v.Name] {
			c.add(p, "duplicate volume %q", v.Name)
		}
		volumes[v.Name] = true
	}
	if len(pod.Containers) == 0 {
		c.add(path.Child("containers"), "at least one container is required")
	}
	names := map[string]bool{}
	ports := map[string]bool{}
	check := func(group string, list []corev1.Container) {
		for i, ctr := range list {
			p := path.Child(group).Index(i)
			c.errs(p.Child("name"), validation.IsDNS1123Label(ctr.Name))
			if names[ctr.Name] {
				c.add(p.Child("name"), "duplicate container name %q", ctr.Name)
			}
			names[ctr.Name] = true
			c.container(ctr, p, volumes, ports)
		}
	}
	check("initContainers", pod.InitContainers)
	check("containers", pod.Containers)
	for i, ctr := range pod.Containers {
		p := path.Child("containers").Index(i)
		c.probe(ctr.LivenessProbe, p.Child("livenessProbe"), ctr)
		c.probe(ctr.ReadinessProbe, p.Child("readinessProbe"), ctr)
		c.probe(ctr.StartupProbe, p.Child("startupProbe"), ctr)
		if ctr.Lifecycle != nil {
			if ctr.Lifecycle.PreStop != nil {
				c.handler(handlerCount(ctr.Lifecycle.PreStop), p.Child("lifecycle", "preStop"))
			}
			if ctr.Lifecycle.PostStart != nil {
				c.handler(handlerCount(ctr.Lifecycle.PostStart), p.Child("lifecycle", "postStart"))
			}
		}
	}
}

func (c *checker) container(ctr corev1.Container, p *field.Path, volumes, podPorts map[string]bool) {
	if ctr.Image == "" {
		c.add(p.Child("image"), "required")
	}
	for j, port := range ctr.Ports {
		pp := p.Child("ports").Index(j)
		c.errs(pp.Child("containerPort"), validation.IsValidPortNum(int(port.ContainerPort)))
		if port.Name != "" {
			c.errs(pp.Child("name"), validation.IsValidPortName(port.Name))
			if podPorts[port.Name] {
				c.add(pp.Child("name"), "duplicate port name %q in the pod", port.Name)
			}
			podPorts[port.Name] = true
		}
	}
	for j, env := range ctr.Env {
		c.errs(p.Child("env").Index(j).Child("name"), validation.IsEnvVarName(env.Name))
	}
	mounts := map[string]bool{}
	for j, m := range ctr.VolumeMounts {
		mp := p.Child("volumeMounts").Index(j)
		if !volumes[m.Name] {
			c.add(mp.Child("name"), "no volume named %q in the pod", m.Name)
		}
		if mounts[m.MountPath] {
			c.add(mp.Child("mountPath"), "%q mounted twice", m.MountPath)
		}
		mounts[m.MountPath] = true
	}
	for name, limit := range ctr.Resources.Limits {
		if request, ok := ctr.Resources.Requests[name]; ok && request.Cmp(limit) > 0 {
			c.add(p.Child("resources", "requests").Key(string(name)), "%s is more than its limit %s", request.String(), limit.String())
		}
	}
}

func handlerCount(h *corev1.LifecycleHandler) int {
	n := 0
	for _, set := range []bool{h.Exec != nil, h.HTTPGet != nil, h.TCPSocket != nil, h.Sleep != nil} {
		if set {
			n++
		}
	}
	return n
}

func (c *checker) handler(count int, p *field.Path) {
	if count != 1 {
		c.add(p, "needs exactly one handler (exec, httpGet, tcpSocket, grpc or sleep), has %d", count)
	}
}

// namedPort checks that a probe's or Service's named port is a port of the container.
func hasPort(ctr corev1.Container, port intstr.IntOrString) bool {
	for _, p := range ctr.Ports {
		if (port.Type == intstr.String && p.Name == port.StrVal) || (port.Type == intstr.Int && p.ContainerPort == port.IntVal) {
			return true
		}
	}
	return false
}

func (c *checker) probe(probe *corev1.Probe, p *field.Path, ctr corev1.Container) {
	if probe == nil {
		return
	}
	h := probe.ProbeHandler
	n := 0
	for _, set := range []bool{h.Exec != nil, h.HTTPGet != nil, h.TCPSocket != nil, h.GRPC != nil} {
		if set {
			n++
		}
	}
	c.handler(n, p)
	var port *intstr.IntOrString
	switch {
	case h.HTTPGet != nil:
		port = &h.HTTPGet.Port
	case h.TCPSocket != nil:
		port = &h.TCPSocket.Port
	case h.GRPC != nil:
		if !hasPort(ctr, intstr.FromInt32(h.GRPC.Port)) {
			c.add(p.Child("grpc", "port"), "%d is not a port of container %q", h.GRPC.Port, ctr.Name)
		}
	case h.Exec != nil && len(h.Exec.Command) == 0:
		c.add(p.Child("exec", "command"), "required")
	}
	if port != nil && port.Type == intstr.String && !hasPort(ctr, *port) {
		c.add(p, "port %q is not a named port of container %q", port.StrVal, ctr.Name)
	}
}

func (c *checker) service(svc *corev1.Service, workloads []workload) {
	spec := field.NewPath("spec")
	if len(svc.Spec.Ports) > 1 {
		for i, port := range svc.Spec.Ports {
			if port.Name == "" {
				c.add(spec.Child("ports").Index(i).Child("name"), "required when a Service has more than one port")
			}
		}
	}
	if len(svc.Spec.Selector) == 0 {
		return // endpoints managed elsewhere
	}
	selector := &metav1.LabelSelector{MatchLabels: svc.Spec.Selector}
	var picked []workload
	for _, w := range workloads {
		if selects(selector, w) {
			picked = append(picked, w)
		}
	}
	if len(picked) == 0 {
		c.add(spec.Child("selector"), "selects the pods of no workload in this release")
		return
	}
	for i, port := range svc.Spec.Ports {
		target := port.TargetPort
		if target.Type == intstr.Int && target.IntVal == 0 {
			target = intstr.FromInt32(port.Port)
		}
		for _, w := range picked {
			found := false
			for _, ctr := range w.template.Spec.Containers {
				found = found || hasPort(ctr, target)
			}
			if !found {
				c.add(spec.Child("ports").Index(i).Child("targetPort"), "%s is not a container port of %s %q", target.String(), w.doc.Kind, w.doc.Name)
			}
		}
	}
}

func (c *checker) hpa(hpa *autoscalingv2.HorizontalPodAutoscaler, workloads []workload) {
	spec := field.NewPath("spec")
	ref := hpa.Spec.ScaleTargetRef
	var target *workload
	for i, w := range workloads {
		if w.doc.Kind == ref.Kind && w.doc.Name == ref.Name && w.doc.APIVersion == ref.APIVersion {
			target = &workloads[i]
		}
	}
	if target == nil {
		c.add(spec.Child("scaleTargetRef"), "%s %s %q is not in this release", ref.APIVersion, ref.Kind, ref.Name)
	}
	if hpa.Spec.MinReplicas != nil && *hpa.Spec.MinReplicas > hpa.Spec.MaxReplicas {
		c.add(spec.Child("minReplicas"), "%d is more than maxReplicas %d", *hpa.Spec.MinReplicas, hpa.Spec.MaxReplicas)
	}
	if hpa.Spec.MaxReplicas < 1 {
		c.add(spec.Child("maxReplicas"), "must be at least 1")
	}
	for i, m := range hpa.Spec.Metrics {
		// Utilization is a share of the request: without one the HPA reports FailedGetResourceMetric forever.
		if m.Type != autoscalingv2.ResourceMetricSourceType || m.Resource == nil || m.Resource.Target.Type != autoscalingv2.UtilizationMetricType || target == nil {
			continue
		}
		for _, ctr := range target.template.Spec.Containers {
			if _, ok := ctr.Resources.Requests[m.Resource.Name]; !ok {
				c.add(spec.Child("metrics").Index(i), "%s utilization needs a %s request on container %q", m.Resource.Name, m.Resource.Name, ctr.Name)
			}
		}
	}
}

func (c *checker) pdb(pdb *policyv1.PodDisruptionBudget, workloads []workload) {
	spec := field.NewPath("spec")
	if (pdb.Spec.MinAvailable == nil) == (pdb.Spec.MaxUnavailable == nil) {
		c.add(spec, "exactly one of minAvailable and maxUnavailable")
	}
	for _, w := range workloads {
		if selects(pdb.Spec.Selector, w) {
			return
		}
	}
	c.add(spec.Child("selector"), "selects the pods of no workload in this release")
}
