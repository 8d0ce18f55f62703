package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func readFixture(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// check runs the command on input and returns its exit status, stdout and stderr.
func check(t *testing.T, input string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, strings.NewReader(input), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// replaceOnce swaps one occurrence of old in s, failing the test when old is not there (a fixture
// edit that matched nothing would make a negative case pass for the wrong reason).
func replaceOnce(t *testing.T, s, old, replacement string) string {
	t.Helper()
	if strings.Count(s, old) != 1 {
		t.Fatalf("fixture has %d occurrences of %q, want 1", strings.Count(s, old), old)
	}
	return strings.Replace(s, old, replacement, 1)
}

func TestAcceptsAValidRelease(t *testing.T) {
	code, stdout, stderr := check(t, readFixture(t, "valid.yaml"), "--json")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	var docs []map[string]any
	if err := json.Unmarshal([]byte(stdout), &docs); err != nil {
		t.Fatalf("stdout is not a JSON array: %v\n%s", err, stdout)
	}
	kinds := []string{}
	for _, d := range docs {
		kinds = append(kinds, d["kind"].(string))
	}
	want := "ConfigMap Service Deployment HorizontalPodAutoscaler PodDisruptionBudget"
	if strings.Join(kinds, " ") != want {
		t.Errorf("kinds %v, want %s (empty documents skipped)", kinds, want)
	}
	if !strings.Contains(stderr, "5 document(s) accepted") {
		t.Errorf("stderr %q", stderr)
	}
}

func TestRefusesTheMisspeltFieldFixture(t *testing.T) {
	code, stdout, stderr := check(t, readFixture(t, "misspelt-field.yaml"), "--json")
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr)
	}
	want := `document 4 (Deployment "demo", demo/templates/deployment.yaml): unknown field "spec.template.spec.containers[0].imagePullPolcy"`
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr does not name the document, kind and field:\n%s\nwant: %s", stderr, want)
	}
	if stdout != "" {
		t.Errorf("refused input printed documents: %s", stdout)
	}
}

func TestReadsAFileArgument(t *testing.T) {
	if code, _, stderr := check(t, "", "testdata/misspelt-field.yaml"); code != 1 || !strings.Contains(stderr, "imagePullPolcy") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
	if code, _, stderr := check(t, "", "testdata/absent.yaml"); code != 2 || !strings.Contains(stderr, "absent.yaml") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}

// Each case edits the valid release in one place; each must be refused with a message that
// contains the given text.
func TestRefusesWhatAnAPIServerWouldRefuse(t *testing.T) {
	valid := readFixture(t, "valid.yaml")
	cases := []struct {
		name, old, replacement, want string
	}{
		{"field in the wrong case", "containerPort: 50051", "ContainerPort: 50051",
			`unknown field "spec.template.spec.containers[0].ports[0].ContainerPort"`},
		{"unknown top-level field", "  replicas: 2\n", "  replicas: 2\n  replica: 2\n", `unknown field "spec.replica"`},
		{"duplicate key", "  replicas: 2\n", "  replicas: 2\n  replicas: 3\n", `"replicas"`},
		{"wrong type", "replicas: 2", `replicas: "two"`, "spec.replicas of type int32"},
		{"bad quantity", "memory: 1Gi", "memory: 1Gib", "quantities must match the regular expression"},
		{"unknown kind", "kind: Deployment\nmetadata", "kind: Deploymnet\nmetadata", "unknown kind Deploymnet in apps/v1"},
		{"removed API version", "apiVersion: autoscaling/v2", "apiVersion: autoscaling/v1", "unknown kind HorizontalPodAutoscaler in autoscaling/v1"},
		{"no kind", "kind: ConfigMap\n", "", "apiVersion and kind are required"},
		{"no name", "  name: demo\ndata:", "  labels: {}\ndata:", "metadata.name is required"},
		{"mount without a volume", "- name: tmp\n              mountPath", "- name: scratch\n              mountPath",
			`spec.template.spec.containers[0].volumeMounts[0].name: no volume named "scratch"`},
		{"selector that misses the template", "    matchLabels:\n      app.kubernetes.io/name: demo\n  template",
			"    matchLabels:\n      app.kubernetes.io/name: other\n  template", "spec.selector: does not match the pod template's labels"},
		{"probe on a port the container lacks", "port: metrics\n", "port: metric\n", `port "metric" is not a named port`},
		{"grpc probe on a port the container lacks", "grpc:\n              port: 50051", "grpc:\n              port: 50052", "spec.template.spec.containers[0].readinessProbe.grpc.port: 50052 is not a port"},
		{"Service target port missing", "targetPort: grpc", "targetPort: grcp", `spec.ports[0].targetPort: grcp is not a container port of Deployment "demo"`},
		{"Service that selects nothing", "  selector:\n    app.kubernetes.io/name: demo\n  ports", "  selector:\n    app.kubernetes.io/name: dem\n  ports", "selects the pods of no workload"},
		{"HPA on another Deployment", "    name: demo\n  minReplicas", "    name: demo-x\n  minReplicas", `apps/v1 Deployment "demo-x" is not in this release`},
		{"HPA on CPU without a CPU request", "              cpu: 500m\n", "", "cpu utilization needs a cpu request"},
		{"PDB with both bounds", "  maxUnavailable: 1\n", "  maxUnavailable: 1\n  minAvailable: 1\n", "exactly one of minAvailable and maxUnavailable"},
		{"request over its limit", "memory: 512Mi", "memory: 2Gi", "2Gi is more than its limit 1Gi"},
		{"bad env name", "          envFrom:", "          env:\n            - name: 9LIVES\n              value: x\n          envFrom:", "env[0].name"},
		{"bad ConfigMap key", "LOG_LEVEL: info", "LOG LEVEL: info", `data[LOG LEVEL]`},
		{"bad Service name", "kind: Service\nmetadata:\n  name: demo", "kind: Service\nmetadata:\n  name: 1demo", "a DNS-1035 label"},
		{"two probe handlers", "          readinessProbe:\n            grpc:", "          readinessProbe:\n            tcpSocket:\n              port: grpc\n            grpc:", "needs exactly one handler"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := check(t, replaceOnce(t, valid, tc.old, tc.replacement))
			if code != 1 {
				t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr does not contain %q:\n%s", tc.want, stderr)
			}
		})
	}
}

func TestRefusesAnInputWithoutManifests(t *testing.T) {
	if code, _, stderr := check(t, "# Source: x/templates/empty.yaml\n---\n"); code != 1 || !strings.Contains(stderr, "no manifest") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := check(t, "- just\n- a list\n"); code != 1 || !strings.Contains(stderr, "not a mapping") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := check(t, "a: [unclosed\n"); code != 1 || !strings.Contains(stderr, "not valid YAML") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
