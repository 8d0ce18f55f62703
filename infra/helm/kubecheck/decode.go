package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// Document is one decoded manifest of the input.
type Document struct {
	// Index counts the documents of the input from 1, empty ones included (as `helm template` prints them).
	Index int
	// Source is the template that rendered it (Helm's `# Source:` comment), if any.
	Source string
	// APIVersion and Kind as written.
	APIVersion, Kind string
	// Name is metadata.name.
	Name string
	// Object is the k8s.io/api value the document decoded into.
	Object any
	// JSON is the document as JSON, exactly as written (before decoding).
	JSON json.RawMessage
}

// Problem is one reason a document is refused.
type Problem struct {
	Index      int
	Source     string
	Kind, Name string
	Message    string
}

func (p Problem) String() string {
	where := fmt.Sprintf("document %d", p.Index)
	if p.Kind != "" {
		where += fmt.Sprintf(" (%s %q", p.Kind, p.Name)
		if p.Source != "" {
			where += ", " + p.Source
		}
		where += ")"
	} else if p.Source != "" {
		where += " (" + p.Source + ")"
	}
	return where + ": " + p.Message
}

var sourceComment = regexp.MustCompile(`(?m)^# Source: (.+)$`)

// header is what every manifest must say about itself before its type is known.
type header struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
}

// Decode reads multi-document YAML and decodes every non-empty document into the Go type of its
// apiVersion/kind, refusing unknown and duplicate fields. The error is an I/O or YAML syntax
// error of the stream itself; the problems are what a strict API server would refuse.
func Decode(r io.Reader) ([]Document, []Problem, error) {
	reader := k8syaml.NewYAMLReader(bufio.NewReader(r))
	var docs []Document
	var problems []Problem
	for index := 1; ; index++ {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("document %d: %w", index, err)
		}
		doc, problem, empty := decodeOne(index, raw)
		switch {
		case empty:
		case problem != nil:
			problems = append(problems, *problem)
		default:
			docs = append(docs, doc)
		}
	}
	return docs, problems, nil
}

func decodeOne(index int, raw []byte) (doc Document, problem *Problem, empty bool) {
	doc.Index = index
	if m := sourceComment.FindSubmatch(raw); m != nil {
		doc.Source = strings.TrimSpace(string(m[1]))
	}
	refuse := func(format string, args ...any) (Document, *Problem, bool) {
		return doc, &Problem{Index: index, Source: doc.Source, Kind: doc.Kind, Name: doc.Name,
			Message: fmt.Sprintf(format, args...)}, false
	}
	// Strict: a key written twice in one mapping is an error, as it is for kubectl.
	data, err := yaml.YAMLToJSONStrict(raw)
	if err != nil {
		return refuse("not valid YAML: %v", err)
	}
	if trimmed := bytes.TrimSpace(data); len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		return doc, nil, true
	}
	if data[0] != '{' {
		return refuse("not a mapping: a manifest is an object with apiVersion and kind")
	}
	doc.JSON = data
	var h header
	if err := json.Unmarshal(data, &h); err != nil {
		return refuse("apiVersion, kind or metadata.name is not a string: %v", err)
	}
	doc.APIVersion, doc.Kind, doc.Name = h.APIVersion, h.Kind, h.Metadata.Name
	if h.APIVersion == "" || h.Kind == "" {
		return refuse("apiVersion and kind are required")
	}
	newObject, ok := knownKinds[typeKey{h.APIVersion, h.Kind}]
	if !ok {
		return refuse("unknown kind %s in %s (accepted: %s)", h.Kind, h.APIVersion, acceptedKinds())
	}
	doc.Object = newObject()
	// sigs.k8s.io/json is the decoder of the API server itself: field names are case-sensitive
	// (encoding/json would take `ContainerPort` for `containerPort`), and every unknown or
	// duplicate field is reported with its path.
	strictErrs, err := sigsjson.UnmarshalStrict(data, doc.Object)
	if err != nil {
		return refuse("%v", err)
	}
	if len(strictErrs) > 0 {
		messages := make([]string, len(strictErrs))
		for i, e := range strictErrs {
			messages[i] = e.Error()
		}
		return refuse("%s", strings.Join(messages, "; "))
	}
	if h.Metadata.Name == "" {
		return refuse("metadata.name is required")
	}
	return doc, nil, false
}

func acceptedKinds() string {
	names := make([]string, 0, len(knownKinds))
	for key := range knownKinds {
		names = append(names, key.apiVersion+" "+key.kind)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
