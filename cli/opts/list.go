// Package opts parses the docker CLI's option values (ports, env files,
// mounts, devices, memory sizes, ...) into Engine API types, with the same
// accepted syntax and error messages as the docker CLI.
package opts

import (
	"fmt"
	"strings"
)

// ValidatorFunc checks (and may normalise) one option value.
type ValidatorFunc func(string) (string, error)

// ListOpts is a repeatable string flag with an optional validator.
type ListOpts struct {
	values    []string
	validator ValidatorFunc
}

// NewListOpts returns an empty ListOpts using validator (may be nil).
func NewListOpts(validator ValidatorFunc) *ListOpts {
	return &ListOpts{validator: validator}
}

func (o *ListOpts) String() string {
	if len(o.values) == 0 {
		return ""
	}
	return fmt.Sprintf("%v", o.values)
}

// Set validates and appends value.
func (o *ListOpts) Set(value string) error {
	if o.validator != nil {
		v, err := o.validator(value)
		if err != nil {
			return err
		}
		value = v
	}
	o.values = append(o.values, value)
	return nil
}

// Type is what pflag prints in help ("list").
func (o *ListOpts) Type() string { return "list" }

// GetAll returns the values in order.
func (o *ListOpts) GetAll() []string { return o.values }

// Len is the number of values.
func (o *ListOpts) Len() int { return len(o.values) }

// MapOpts is a repeatable key=value flag collected into a map.
type MapOpts struct {
	values    map[string]string
	validator ValidatorFunc
}

// NewMapOpts returns an empty MapOpts.
func NewMapOpts(validator ValidatorFunc) *MapOpts {
	return &MapOpts{values: map[string]string{}, validator: validator}
}

func (o *MapOpts) String() string {
	if len(o.values) == 0 {
		return ""
	}
	return fmt.Sprintf("%v", o.values)
}

// Set parses key=value (a bare key maps to "").
func (o *MapOpts) Set(value string) error {
	if o.validator != nil {
		v, err := o.validator(value)
		if err != nil {
			return err
		}
		value = v
	}
	k, v, _ := strings.Cut(value, "=")
	o.values[k] = v
	return nil
}

// Type is what pflag prints in help.
func (o *MapOpts) Type() string { return "map" }

// GetAll returns the collected map.
func (o *MapOpts) GetAll() map[string]string { return o.values }

// ConvertKVStringsToMap turns ["a=b", "c"] into {"a":"b","c":""}.
func ConvertKVStringsToMap(values []string) map[string]string {
	m := make(map[string]string, len(values))
	for _, v := range values {
		k, val, _ := strings.Cut(v, "=")
		m[k] = val
	}
	return m
}
