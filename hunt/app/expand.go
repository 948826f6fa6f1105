package app

import (
	"fmt"
	"os"

	"gopkg.in/yaml.v3"
)

// readPlaceholders reads the --expand file: a YAML map of Sigma placeholder
// name to values. Its errors are OptionErrors.
func readPlaceholders(path string) (map[string][]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &OptionError{Option: "--expand", Err: err}
	}
	var m map[string][]string
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, &OptionError{Option: "--expand " + path, Err: fmt.Errorf("want a YAML map of name to list of values: %w", err)}
	}
	return m, nil
}
