// Command kubecheck decodes rendered Kubernetes manifests (multi-document YAML, as `helm template`
// prints them) strictly against the k8s.io/api Go types: an unknown kind, an unknown or duplicate
// field, a value of the wrong type refuse the document, as do the references an API server or
// controller would refuse (a volume mount without its volume, a selector that selects nothing).
//
//	helm template nextx-service infra/helm/nextx-service -f values.yaml | kubecheck
//	kubecheck --json rendered.yaml   # on success, the documents as one JSON array on stdout
//
// Exit status: 0 all accepted, 1 a document refused (each problem on stderr, naming the document,
// its kind and name, and the field), 2 the input could not be read.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("kubecheck", flag.ContinueOnError)
	flags.SetOutput(stderr)
	asJSON := flags.Bool("json", false, "print the accepted documents as a JSON array on stdout")
	flags.Usage = func() {
		fmt.Fprintln(stderr, "usage: kubecheck [--json] [file.yaml | -]  (default stdin)")
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if flags.NArg() > 1 {
		flags.Usage()
		return 2
	}
	input := stdin
	name := "stdin"
	if flags.NArg() == 1 && flags.Arg(0) != "-" {
		name = flags.Arg(0)
		file, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(stderr, "kubecheck: %v\n", err)
			return 2
		}
		defer file.Close()
		input = file
	}
	docs, problems, err := Decode(input)
	if err != nil {
		fmt.Fprintf(stderr, "kubecheck: %s: %v\n", name, err)
		return 2
	}
	if len(problems) == 0 {
		problems = Check(docs)
	}
	if len(docs) == 0 && len(problems) == 0 {
		fmt.Fprintf(stderr, "kubecheck: %s: no manifest in the input\n", name)
		return 1
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(stderr, "kubecheck: %s\n", p)
		}
		fmt.Fprintf(stderr, "kubecheck: %s: %d problem(s)\n", name, len(problems))
		return 1
	}
	if *asJSON {
		list := make([]json.RawMessage, len(docs))
		for i, d := range docs {
			list[i] = d.JSON
		}
		if err := json.NewEncoder(stdout).Encode(list); err != nil {
			fmt.Fprintf(stderr, "kubecheck: %v\n", err)
			return 2
		}
	}
	fmt.Fprintf(stderr, "kubecheck: %s: %d document(s) accepted\n", name, len(docs))
	return 0
}
