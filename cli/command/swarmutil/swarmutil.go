// Package swarmutil holds what the swarm-object CLI groups (secret,
// config, node, service) share: docker's PrettyPrint, reading a payload
// from a file or stdin, and removing several objects with one report.
package swarmutil

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"
)

// PrettyPrint is docker's command.PrettyPrint: the value's default text,
// lower-cased with the first letter capitalised (times print "... utc").
func PrettyPrint(v any) string {
	s := strings.ToLower(fmt.Sprintf("%v", v))
	for i, r := range s {
		return string(unicode.ToUpper(r)) + s[i+len(string(r)):]
	}
	return s
}

// ReadPayload reads a file, or stdin for "-", as `secret create` and
// `config create` do.
func ReadPayload(in io.Reader, path string) ([]byte, error) {
	if path == "-" {
		b, err := io.ReadAll(in)
		if err != nil {
			return nil, fmt.Errorf("error reading content from STDIN: %w", err)
		}
		return b, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("error reading content from %q: %w", path, err)
	}
	return b, nil
}

// RemoveEach calls rm for every name, prints the removed ones and joins
// the failures, which docker reports together with exit status 1.
func RemoveEach(out io.Writer, names []string, rm func(string) error) error {
	var errs []error
	for _, n := range names {
		if err := rm(n); err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintln(out, n)
	}
	return errors.Join(errs...)
}

// Labels turns key=value strings into a map (a bare key maps to "").
func Labels(kvs []string) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}
