package main

import (
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
)

// typeKey is a document's apiVersion and kind, as written in it.
type typeKey struct{ apiVersion, kind string }

// knownKinds maps every accepted apiVersion/kind to a constructor of its k8s.io/api Go type.
// An explicit list rather than a runtime.Scheme: a scheme also answers for ListOptions,
// WatchEvent and friends in every group, which no chart should render, and an old API version
// (autoscaling/v1, policy/v1beta1) must fail here as it fails on a current cluster.
var knownKinds = map[typeKey]func() any{
	{"v1", "ConfigMap"}:                             func() any { return &corev1.ConfigMap{} },
	{"v1", "Secret"}:                                func() any { return &corev1.Secret{} },
	{"v1", "Service"}:                               func() any { return &corev1.Service{} },
	{"v1", "ServiceAccount"}:                        func() any { return &corev1.ServiceAccount{} },
	{"v1", "PersistentVolumeClaim"}:                 func() any { return &corev1.PersistentVolumeClaim{} },
	{"v1", "Pod"}:                                   func() any { return &corev1.Pod{} },
	{"apps/v1", "Deployment"}:                       func() any { return &appsv1.Deployment{} },
	{"apps/v1", "StatefulSet"}:                      func() any { return &appsv1.StatefulSet{} },
	{"apps/v1", "DaemonSet"}:                        func() any { return &appsv1.DaemonSet{} },
	{"batch/v1", "Job"}:                             func() any { return &batchv1.Job{} },
	{"autoscaling/v2", "HorizontalPodAutoscaler"}:   func() any { return &autoscalingv2.HorizontalPodAutoscaler{} },
	{"policy/v1", "PodDisruptionBudget"}:            func() any { return &policyv1.PodDisruptionBudget{} },
	{"networking/v1", "NetworkPolicy"}:              func() any { return &networkingv1.NetworkPolicy{} },
	{"networking/v1", "Ingress"}:                    func() any { return &networkingv1.Ingress{} },
	{"rbac.authorization.k8s.io/v1", "Role"}:        func() any { return &rbacv1.Role{} },
	{"rbac.authorization.k8s.io/v1", "RoleBinding"}: func() any { return &rbacv1.RoleBinding{} },
}
