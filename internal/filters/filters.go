// Package filters parses and evaluates the Engine API "filters" query
// parameter: a JSON object mapping a filter name to its values. Two wire
// shapes exist: {"status":{"running":true}} (current) and
// {"status":["running"]} (API < 1.22); both are accepted.
package filters

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/berth-project/berth/internal/errdefs"
)

// Args holds filter terms: name -> set of values.
type Args struct {
	fields map[string]map[string]bool
}

// NewArgs returns empty filters, optionally seeded with name=value pairs.
func NewArgs(pairs ...[2]string) Args {
	a := Args{fields: map[string]map[string]bool{}}
	for _, p := range pairs {
		a.Add(p[0], p[1])
	}
	return a
}

// Parse decodes the query parameter. An empty string yields empty Args.
func Parse(s string) (Args, error) {
	a := NewArgs()
	if strings.TrimSpace(s) == "" {
		return a, nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return a, errdefs.InvalidParameter("invalid filter: %v", err)
	}
	for name, v := range raw {
		var set map[string]bool
		if err := json.Unmarshal(v, &set); err == nil {
			for val, on := range set {
				if on {
					a.Add(name, val)
				}
			}
			if len(set) == 0 {
				a.fields[name] = map[string]bool{}
			}
			continue
		}
		var list []string
		if err := json.Unmarshal(v, &list); err != nil {
			return a, errdefs.InvalidParameter("invalid filter '%s': values must be a list or a map of strings", name)
		}
		for _, val := range list {
			a.Add(name, val)
		}
	}
	return a, nil
}

// Add adds a value to a filter name.
func (a Args) Add(name, value string) {
	if a.fields[name] == nil {
		a.fields[name] = map[string]bool{}
	}
	a.fields[name][value] = true
}

// Len is the number of filter names set.
func (a Args) Len() int { return len(a.fields) }

// Keys lists the filter names, sorted.
func (a Args) Keys() []string {
	keys := make([]string, 0, len(a.fields))
	for k := range a.fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Contains reports whether the filter name is present.
func (a Args) Contains(name string) bool { _, ok := a.fields[name]; return ok }

// Get returns the values of a filter name, sorted.
func (a Args) Get(name string) []string {
	var out []string
	for v := range a.fields[name] {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// Validate rejects filter names not in accepted, with Docker's wording.
func (a Args) Validate(accepted ...string) error {
	ok := map[string]bool{}
	for _, n := range accepted {
		ok[n] = true
	}
	for name := range a.fields {
		if !ok[name] {
			return errdefs.InvalidParameter("invalid filter '%s'", name)
		}
	}
	return nil
}

// ExactMatch reports whether value equals one of the filter's values, or the
// filter is absent.
func (a Args) ExactMatch(name, value string) bool {
	set, ok := a.fields[name]
	if !ok || len(set) == 0 {
		return true
	}
	return set[value]
}

// Match reports whether value matches one of the filter's values as a regular
// expression (Docker's semantics for "name"), or the filter is absent.
func (a Args) Match(name, value string) bool {
	set, ok := a.fields[name]
	if !ok || len(set) == 0 {
		return true
	}
	for pattern := range set {
		if pattern == value {
			return true
		}
		re, err := regexp.Compile(pattern)
		if err == nil && re.MatchString(value) {
			return true
		}
	}
	return false
}

// FuzzyMatch reports whether value has one of the filter's values as a prefix
// (Docker's semantics for "id"), or the filter is absent.
func (a Args) FuzzyMatch(name, value string) bool {
	set, ok := a.fields[name]
	if !ok || len(set) == 0 {
		return true
	}
	for prefix := range set {
		if strings.HasPrefix(value, prefix) {
			return true
		}
	}
	return false
}

// MatchKVList matches "label" style filters ("key" or "key=value", also
// "key!=value") against a map; every term must match.
func (a Args) MatchKVList(name string, kv map[string]string) bool {
	set, ok := a.fields[name]
	if !ok || len(set) == 0 {
		return true
	}
	for term := range set {
		if k, v, found := strings.Cut(term, "!="); found {
			if cur, has := kv[k]; has && cur == v {
				return false
			}
			continue
		}
		k, v, hasValue := strings.Cut(term, "=")
		cur, has := kv[k]
		if !has || (hasValue && cur != v) {
			return false
		}
	}
	return true
}

// AnyKV reports whether any "key" or "key=value" term of the filter is
// present in kv: Docker's "label!" filter excludes an object when one of
// its terms matches.
func (a Args) AnyKV(name string, kv map[string]string) bool {
	for term := range a.fields[name] {
		k, v, hasValue := strings.Cut(term, "=")
		if cur, ok := kv[k]; ok && (!hasValue || cur == v) {
			return true
		}
	}
	return false
}

// GetBool returns the boolean value of a filter such as "dangling".
func (a Args) GetBool(name string) (value, present bool, err error) {
	vals := a.Get(name)
	if len(vals) == 0 {
		return false, false, nil
	}
	if len(vals) > 1 {
		return false, true, errdefs.InvalidParameter("invalid filter '%s': only one value allowed", name)
	}
	switch strings.ToLower(vals[0]) {
	case "true", "1":
		return true, true, nil
	case "false", "0":
		return false, true, nil
	}
	return false, true, errdefs.InvalidParameter("invalid filter '%s=%s'", name, vals[0])
}

// String renders the Args back to the wire format (for tests and logs).
func (a Args) String() string {
	b, _ := json.Marshal(a.fields)
	return fmt.Sprint(string(b))
}
