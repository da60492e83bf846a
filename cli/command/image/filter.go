package image

import (
	"errors"
	"strings"

	"github.com/moby/moby/client"
)

// FilterOpt is docker's repeatable --filter flag value: name=value pairs
// collected into API filters (names are lower-cased like docker).
type FilterOpt struct{ F client.Filters }

// NewFilterOpt returns an empty filter flag value.
func NewFilterOpt() *FilterOpt { return &FilterOpt{F: client.Filters{}} }

// Set adds one name=value pair.
func (o *FilterOpt) Set(v string) error {
	if v == "" {
		return nil
	}
	name, val, ok := strings.Cut(v, "=")
	if !ok {
		return errors.New("bad format of filter (expected name=value)")
	}
	o.F.Add(strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(val))
	return nil
}

// String lists the pairs for help output.
func (o *FilterOpt) String() string {
	var parts []string
	for k, vs := range o.F {
		for v := range vs {
			parts = append(parts, k+"="+v)
		}
	}
	return strings.Join(parts, " ")
}

// Type is the flag type shown in help.
func (o *FilterOpt) Type() string { return "filter" }

// Value returns a copy of the filters.
func (o *FilterOpt) Value() client.Filters { return o.F.Clone() }
