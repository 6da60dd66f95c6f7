package images

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestRepositoryStripsTagDigestAndDockerHub(t *testing.T) {
	cases := map[string]string{
		"busybox":                          "busybox",
		"busybox:1.36":                     "busybox",
		"docker.io/library/busybox:latest": "busybox",
		"registry.k8s.io/coredns/coredns:v1.12.2":       "registry.k8s.io/coredns/coredns",
		"localhost:5000/app":                            "localhost:5000/app",
		"localhost:5000/app:v1@sha256:0123":             "localhost:5000/app",
		"docker.io/curlimages/curl:8.1.0":               "curlimages/curl",
		"registry.k8s.io/gateway-api/echo-basic@sha256": "registry.k8s.io/gateway-api/echo-basic",
	}
	for in, want := range cases {
		if got := Repository(in); got != want {
			t.Errorf("Repository(%q) = %q, want %q", in, got, want)
		}
	}
}

func load(t *testing.T, content string) (*Table, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "images.yaml")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return Load(path, map[string]string{"bin:echo": "/cache/echo", "repo": "/src"})
}

func TestArgvFollowsKubernetesCommandAndArgsRules(t *testing.T) {
	table, err := load(t, `images:
  - image: registry.k8s.io/gateway-api/echo-basic
    entrypoint: ["${bin:echo}/echo-basic"]
    cmd: ["--default"]
  - image: busybox
    host: true
`)
	if err != nil {
		t.Fatal(err)
	}
	check := func(image string, command, args, want []string) {
		t.Helper()
		got, err := table.Argv(image, command, args)
		if err != nil {
			t.Fatalf("Argv(%s): %v", image, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Argv(%s, %v, %v) = %v, want %v", image, command, args, got, want)
		}
	}
	echo := "registry.k8s.io/gateway-api/echo-basic:v1.6.1"
	check(echo, nil, nil, []string{"/cache/echo/echo-basic", "--default"})
	check(echo, nil, []string{"-x"}, []string{"/cache/echo/echo-basic", "-x"})
	check(echo, []string{"sh", "-c", "${HOME}"}, []string{"a"}, []string{"sh", "-c", "${HOME}", "a"})
	check("busybox:1.36", []string{"sleep"}, []string{"3600"}, []string{"sleep", "3600"})

	_, err = table.Argv("busybox", nil, nil)
	var pull *ImagePullError
	if !errors.As(err, &pull) || !strings.Contains(pull.Message, "needs a command") {
		t.Errorf("a host image without command: got %v", err)
	}
	_, err = table.Argv("example.com/unknown:v1", nil, nil)
	if !errors.As(err, &pull) || !strings.Contains(pull.Message, "not in the lab image table") {
		t.Errorf("an unknown image: got %v", err)
	}
}

func TestLoadRejectsBadTables(t *testing.T) {
	for name, content := range map[string]string{
		"unknown field": "images:\n  - image: a\n    entrypont: [x]\n",
		"empty image":   "images:\n  - entrypoint: [x]\n",
		"no program":    "images:\n  - image: a\n",
		"duplicate":     "images:\n  - image: a:1\n    host: true\n  - image: a:2\n    host: true\n",
	} {
		if _, err := load(t, content); err == nil {
			t.Errorf("%s: expected an error", name)
		}
	}
}

func TestUnknownVariableIsAnImagePullError(t *testing.T) {
	table, err := load(t, "images:\n  - image: x\n    entrypoint: [\"${bin:nope}/x\"]\n")
	if err != nil {
		t.Fatal(err)
	}
	_, err = table.Argv("x", nil, nil)
	var pull *ImagePullError
	if !errors.As(err, &pull) || !strings.Contains(pull.Message, "bin:nope") {
		t.Errorf("got %v", err)
	}
}

func TestLookupExpandsPathAndFiles(t *testing.T) {
	table, err := load(t, `images:
  - image: echo
    entrypoint: ["${bin:echo}/server"]
    path: ["${bin:echo}"]
    files: {"/cert.crt": "${bin:echo}/certs/cert.crt"}
`)
	if err != nil {
		t.Fatal(err)
	}
	img, err := table.Lookup("echo:v1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(img.Path, []string{"/cache/echo"}) || img.Files["/cert.crt"] != "/cache/echo/certs/cert.crt" {
		t.Errorf("got %+v", img)
	}
}

// The lab's own table loads, and every mesh and conformance image it promises resolves.
func TestTheLabsImageTable(t *testing.T) {
	vars := map[string]string{"repo": "/src"}
	for _, c := range []string{"echo", "istio-echo", "coredns"} {
		vars["bin:"+c] = "/cache/" + c
	}
	table, err := Load("../../../images.yaml", vars)
	if err != nil {
		t.Fatal(err)
	}
	for _, image := range []string{
		"registry.k8s.io/gateway-api/echo-basic:v1.6.1",
		"registry.k8s.io/gateway-api/echo-advanced:v1.5.1",
		"registry.k8s.io/coredns/coredns:v1.12.2",
		"ghcr.io/ambient-mesh/controller:0.1.0",
		"ghcr.io/ambient-mesh/ztunnel:0.1.0",
		"ghcr.io/ambient-mesh/install-cni:0.1.0",
		"ghcr.io/ambient-mesh/waypoint:0.1.0",
		"curlimages/curl:8.1.0",
	} {
		if _, err := table.Argv(image, nil, nil); err != nil {
			t.Errorf("%s: %v", image, err)
		}
	}
	argv, _ := table.Argv("ghcr.io/ambient-mesh/waypoint:0.1.0", nil, []string{"run", "--gateway", "ns/wp"})
	if strings.Join(argv, " ") != "/src/mesh waypoint run --gateway ns/wp" {
		t.Errorf("waypoint argv %v", argv)
	}
}
