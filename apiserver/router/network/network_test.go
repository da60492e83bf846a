package network

import (
	"strings"
	"testing"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/internal/filters"
)

func TestValidateFilters(t *testing.T) {
	tests := []struct {
		prune bool
		json  string
		err   string // "" = valid
	}{
		{false, `{"driver":{"bridge":true},"id":{"ab":true},"label":{"a=b":true},"name":{"x":true},"scope":{"local":true},"type":{"custom":true,"builtin":true},"dangling":{"1":true}}`, ""},
		{false, `{"until":{"1h":true}}`, "invalid filter 'until'"},
		{false, `{"type":{"other":true}}`, "invalid filter: 'type'='other'"},
		{false, `{"dangling":{"yes":true}}`, `invalid value for filter 'dangling', must be "true" (or "1"), or "false" (or "0")`},
		{false, `{"dangling":{"true":true,"false":true}}`, `got more than one value for filter key "dangling"`},
		{true, `{"until":{"1h":true},"label":{"a":true},"label!":{"b":true}}`, ""},
		{true, `{"until":{"1h":true,"2h":true}}`, "more than one until filter specified"},
		{true, `{"driver":{"bridge":true}}`, "invalid filter 'driver'"},
	}
	for _, tt := range tests {
		f, err := filters.Parse(tt.json)
		if err != nil {
			t.Fatal(err)
		}
		if tt.prune {
			err = validatePruneFilters(f)
		} else {
			err = validateListFilters(f)
		}
		if tt.err == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.json, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.err) || !errdefs.IsInvalidParameter(err) {
			t.Errorf("%s: err %v, want invalid parameter %q", tt.json, err, tt.err)
		}
	}
}
