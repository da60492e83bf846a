package opts

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/container"
)

// MemBytes is a memory size flag ("512m", "1g"); 0 means unset.
type MemBytes int64

func (m *MemBytes) String() string {
	if m == nil || *m == 0 {
		return ""
	}
	return units.BytesSize(float64(*m))
}

// Set parses a size with binary suffixes, like docker.
func (m *MemBytes) Set(v string) error {
	n, err := units.RAMInBytes(v)
	*m = MemBytes(n)
	return err
}

// Type is shown in help.
func (m *MemBytes) Type() string { return "bytes" }

// Value is the size in bytes.
func (m *MemBytes) Value() int64 { return int64(*m) }

// MemSwapBytes is like MemBytes but accepts -1 (unlimited swap).
type MemSwapBytes int64

func (m *MemSwapBytes) String() string { return (*MemBytes)(m).String() }

// Set accepts "-1" as well as sizes.
func (m *MemSwapBytes) Set(v string) error {
	if v == "-1" {
		*m = -1
		return nil
	}
	return (*MemBytes)(m).Set(v)
}

// Type is shown in help.
func (m *MemSwapBytes) Type() string { return "bytes" }

// Value is the size in bytes.
func (m *MemSwapBytes) Value() int64 { return int64(*m) }

// NanoCPUs is the --cpus flag (a decimal number of CPUs) in units of 1e-9 CPUs.
type NanoCPUs int64

func (c *NanoCPUs) String() string {
	if c == nil || *c == 0 {
		return ""
	}
	return big.NewRat(int64(*c), 1e9).FloatString(3)
}

// Set parses a decimal CPU count.
func (c *NanoCPUs) Set(v string) error {
	n, err := ParseCPUs(v)
	*c = NanoCPUs(n)
	return err
}

// Type is shown in help.
func (c *NanoCPUs) Type() string { return "decimal" }

// Value is the count in nano-CPUs.
func (c *NanoCPUs) Value() int64 { return int64(*c) }

// ParseCPUs converts "1.5" to 1500000000 nano-CPUs, with docker's checks.
func ParseCPUs(v string) (int64, error) {
	r, ok := new(big.Rat).SetString(v)
	if !ok {
		return 0, fmt.Errorf("failed to parse %v as a rational number", v)
	}
	nano := r.Mul(r, big.NewRat(1e9, 1))
	if !nano.IsInt() {
		return 0, fmt.Errorf("value is too precise")
	}
	if nano.Sign() < 0 || !nano.Num().IsInt64() {
		return 0, fmt.Errorf("value is out of range")
	}
	return nano.Num().Int64(), nil
}

// ValidateUlimit checks a --ulimit value ("nofile=1024:2048").
func ValidateUlimit(v string) (string, error) {
	if _, err := units.ParseUlimit(v); err != nil {
		return "", err
	}
	return v, nil
}

// ParseUlimits converts --ulimit values, the last one per name winning.
func ParseUlimits(vals []string) ([]*container.Ulimit, error) {
	byName := map[string]int{}
	var out []*container.Ulimit
	for _, v := range vals {
		u, err := units.ParseUlimit(v)
		if err != nil {
			return nil, err
		}
		if i, ok := byName[u.Name]; ok {
			out[i] = u
			continue
		}
		byName[u.Name] = len(out)
		out = append(out, u)
	}
	return out, nil
}

// ParseRestartPolicy parses "no", "always", "unless-stopped", "on-failure[:N]".
func ParseRestartPolicy(s string) (container.RestartPolicy, error) {
	var p container.RestartPolicy
	if s == "" {
		return p, nil
	}
	name, count, hasCount := strings.Cut(s, ":")
	p.Name = container.RestartPolicyMode(name)
	switch p.Name {
	case container.RestartPolicyDisabled, container.RestartPolicyAlways, container.RestartPolicyUnlessStopped:
		if hasCount {
			return p, fmt.Errorf("invalid restart policy format: maximum retry count can only be used with 'on-failure'")
		}
	case container.RestartPolicyOnFailure:
		if hasCount {
			n, err := strconv.Atoi(count)
			if err != nil {
				return p, fmt.Errorf("invalid restart policy format: maximum retry count must be an integer")
			}
			p.MaximumRetryCount = n
		}
	default:
		return p, fmt.Errorf("invalid restart policy format: unknown policy '%s'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'", name)
	}
	return p, nil
}
