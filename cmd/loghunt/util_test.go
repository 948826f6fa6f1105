package main

import (
	"encoding/json"
	"testing"

	"gopkg.in/yaml.v3"
)

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// queryOf returns the query of a Sentinel hunting YAML file, without its
// trailing newline.
func queryOf(t *testing.T, data []byte) string {
	t.Helper()
	var d struct{ Query string }
	if err := yaml.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	for len(d.Query) > 0 && d.Query[len(d.Query)-1] == '\n' {
		d.Query = d.Query[:len(d.Query)-1]
	}
	return d.Query
}
