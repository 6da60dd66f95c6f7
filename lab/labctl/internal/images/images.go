// Package images maps container images to local programs through the lab's image table.
package images

import (
	"fmt"
	"os"
	"strings"

	"sigs.k8s.io/yaml"
)

// Entry is one row of the image table.
type Entry struct {
	Image      string   `json:"image"`
	Entrypoint []string `json:"entrypoint,omitempty"`
	Cmd        []string `json:"cmd,omitempty"`
	Host       bool     `json:"host,omitempty"`
	// Path lists directories put first on the container's PATH (the image's own programs).
	Path []string `json:"path,omitempty"`
	// Files maps a path in the container to a local file: what the image would carry there.
	Files map[string]string `json:"files,omitempty"`
}

// Image is what a container's image contributes besides its program.
type Image struct {
	Path  []string
	Files map[string]string // container path -> local file
}

// Table resolves images; it is immutable once loaded.
type Table struct {
	path    string
	entries map[string]Entry
	vars    map[string]string
}

type file struct {
	Images []Entry `json:"images"`
}

// Load reads the table at path. vars holds the values of ${bin:<component>} (keyed "bin:<component>")
// and ${repo} (keyed "repo").
func Load(path string, vars map[string]string) (*Table, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("image table: %w", err)
	}
	var f file
	if err := yaml.UnmarshalStrict(data, &f); err != nil {
		return nil, fmt.Errorf("image table %s: %w", path, err)
	}
	t := &Table{path: path, entries: map[string]Entry{}, vars: vars}
	for i, e := range f.Images {
		if e.Image == "" {
			return nil, fmt.Errorf("image table %s: images[%d].image is empty", path, i)
		}
		if !e.Host && len(e.Entrypoint) == 0 && len(e.Cmd) == 0 {
			return nil, fmt.Errorf("image table %s: images[%d] (%s) has no entrypoint or cmd and is not host", path, i, e.Image)
		}
		key := Repository(e.Image)
		if _, dup := t.entries[key]; dup {
			return nil, fmt.Errorf("image table %s: images[%d]: %s is listed twice", path, i, e.Image)
		}
		t.entries[key] = e
	}
	return t, nil
}

// Repository strips an image reference down to the repository the table is keyed by:
// no tag, no digest, no implied Docker Hub prefix.
func Repository(image string) string {
	ref := image
	if at := strings.Index(ref, "@"); at >= 0 {
		ref = ref[:at]
	}
	if colon := strings.LastIndex(ref, ":"); colon > strings.LastIndex(ref, "/") {
		ref = ref[:colon]
	}
	ref = strings.TrimPrefix(ref, "docker.io/library/")
	ref = strings.TrimPrefix(ref, "docker.io/")
	ref = strings.TrimPrefix(ref, "library/")
	return ref
}

// Lookup returns the image's PATH additions and files, expanded.
func (t *Table) Lookup(image string) (Image, error) {
	e, ok := t.entries[Repository(image)]
	if !ok {
		return Image{}, &ImagePullError{Message: fmt.Sprintf(
			"image %q is not in the lab image table %s (the lab runs local programs, not images)", image, t.path)}
	}
	img := Image{Files: map[string]string{}}
	for _, p := range e.Path {
		v, err := t.expand(p)
		if err != nil {
			return Image{}, &ImagePullError{Message: fmt.Sprintf("image %q: %v", image, err)}
		}
		img.Path = append(img.Path, v)
	}
	for target, src := range e.Files {
		v, err := t.expand(src)
		if err != nil {
			return Image{}, &ImagePullError{Message: fmt.Sprintf("image %q: %v", image, err)}
		}
		img.Files[target] = v
	}
	return img, nil
}

// ImagePullError is what an unknown image yields; the agent reports it as ErrImagePull.
type ImagePullError struct{ Message string }

func (e *ImagePullError) Error() string { return e.Message }

// Argv returns the program and arguments a container runs, applying Kubernetes' rules: command
// replaces the entrypoint, args replace the cmd.
func (t *Table) Argv(image string, command, args []string) ([]string, error) {
	e, ok := t.entries[Repository(image)]
	if !ok {
		return nil, &ImagePullError{Message: fmt.Sprintf(
			"image %q is not in the lab image table %s (the lab runs local programs, not images)", image, t.path)}
	}
	var argv []string
	switch {
	case len(command) > 0:
		argv = append(append(argv, command...), args...)
	case len(args) > 0:
		argv = append(append(argv, e.Entrypoint...), args...)
	default:
		argv = append(append(argv, e.Entrypoint...), e.Cmd...)
	}
	if len(argv) == 0 {
		return nil, &ImagePullError{Message: fmt.Sprintf(
			"image %q runs host programs: the container needs a command", image)}
	}
	if len(command) == 0 {
		// Only the table's own strings are expanded: a pod's command is taken literally.
		for i, a := range argv {
			expanded, err := t.expand(a)
			if err != nil {
				return nil, &ImagePullError{Message: fmt.Sprintf("image %q: %v", image, err)}
			}
			argv[i] = expanded
		}
	}
	return argv, nil
}

func (t *Table) expand(s string) (string, error) {
	var out strings.Builder
	for {
		start := strings.Index(s, "${")
		if start < 0 {
			out.WriteString(s)
			return out.String(), nil
		}
		end := strings.Index(s[start:], "}")
		if end < 0 {
			return "", fmt.Errorf("unterminated ${ in %q", s)
		}
		name := s[start+2 : start+end]
		value, ok := t.vars[name]
		if !ok {
			return "", fmt.Errorf("${%s} is not known to this node agent (was the component built?)", name)
		}
		out.WriteString(s[:start])
		out.WriteString(value)
		s = s[start+end+1:]
	}
}
