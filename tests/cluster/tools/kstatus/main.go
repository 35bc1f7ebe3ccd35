// kstatus prints the kstatus (sigs.k8s.io/cli-utils/pkg/kstatus/status) of
// Kubernetes objects: what Flux's health checks, `kubectl wait` users and
// cli-utils based tools conclude from an object's status. Not part of the
// product: the end-to-end tests feed it Releases they captured.
//
// Usage: kstatus FILE...  (or JSON on stdin). Each input is one object or a
// List (kubectl get -o json); one line per object: "NAME STATUS MESSAGE".
// Exits 1 when an input cannot be read or computed.
package main

import (
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

// objects: the object in data, or the items of a List. apimachinery's json
// keeps integers int64, as unstructured accessors (metadata.generation) want.
func objects(data []byte) ([]map[string]interface{}, error) {
	var obj map[string]interface{}
	if err := json.Unmarshal(data, &obj); err != nil {
		return nil, err
	}
	items, isList := obj["items"].([]interface{})
	if !isList {
		return []map[string]interface{}{obj}, nil
	}
	var out []map[string]interface{}
	for _, it := range items {
		m, ok := it.(map[string]interface{})
		if !ok {
			return nil, fmt.Errorf("a List item is not an object")
		}
		out = append(out, m)
	}
	return out, nil
}

func report(name string, data []byte) error {
	objs, err := objects(data)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	for _, o := range objs {
		u := &unstructured.Unstructured{Object: o}
		res, err := status.Compute(u)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", name, u.GetName(), err)
		}
		fmt.Printf("%s %s %s\n", u.GetName(), res.Status, res.Message)
	}
	return nil
}

func main() {
	inputs := os.Args[1:]
	if len(inputs) == 0 {
		inputs = []string{"-"}
	}
	failed := false
	for _, in := range inputs {
		var data []byte
		var err error
		if in == "-" {
			data, err = io.ReadAll(os.Stdin)
		} else {
			data, err = os.ReadFile(in)
		}
		if err == nil {
			err = report(in, data)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "kstatus: %v\n", err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}
