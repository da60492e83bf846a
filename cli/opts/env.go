package opts

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ValidateEnv expands a bare "KEY" from the client's environment like
// docker; a bare key that is unset is kept as-is so the daemon drops it.
func ValidateEnv(val string) (string, error) {
	k, _, hasValue := strings.Cut(val, "=")
	if k == "" {
		return "", fmt.Errorf("invalid environment variable: %s", val)
	}
	if hasValue {
		return val, nil
	}
	if v, ok := os.LookupEnv(val); ok {
		return val + "=" + v, nil
	}
	return val, nil
}

// ParseEnvFile reads a docker env file: one VAR=VAL per line, '#' comments
// and blank lines ignored, a bare VAR taken from the environment (dropped
// if unset), no quote processing.
func ParseEnvFile(path string) ([]string, error) {
	return parseKVFile(path, func(s string) (string, bool) { return os.LookupEnv(s) })
}

// ParseLabelFile reads a label file (same syntax, bare keys become "key=").
func ParseLabelFile(path string) ([]string, error) {
	return parseKVFile(path, nil)
}

func parseKVFile(path string, lookup func(string) (string, bool)) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("env file %s contains invalid utf8 bytes", path)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimLeftFunc(sc.Text(), unicode.IsSpace)
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, hasValue := strings.Cut(line, "=")
		if k == "" {
			return nil, fmt.Errorf("no variable name on line '%s'", line)
		}
		if strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("variable '%s' contains whitespaces", k)
		}
		switch {
		case hasValue:
			lines = append(lines, k+"="+v)
		case lookup != nil:
			if ev, ok := lookup(k); ok {
				lines = append(lines, k+"="+ev)
			}
		default:
			lines = append(lines, k)
		}
	}
	return lines, sc.Err()
}
