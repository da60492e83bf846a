package opts

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/network"
)

// ParsePortRange parses "80" or "8000-8010" into an inclusive range.
func ParsePortRange(s string) (uint16, uint16, error) {
	if s == "" {
		return 0, 0, fmt.Errorf("empty string specified for ports")
	}
	lo, hi, isRange := strings.Cut(s, "-")
	start, err := parsePortNum(lo)
	if err != nil {
		return 0, 0, err
	}
	if !isRange {
		return start, start, nil
	}
	end, err := parsePortNum(hi)
	if err != nil {
		return 0, 0, err
	}
	if end < start {
		return 0, 0, fmt.Errorf("invalid range specified for port: %s", s)
	}
	return start, end, nil
}

func parsePortNum(s string) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return 0, fmt.Errorf("invalid port: %s", s)
	}
	return uint16(n), nil
}

func validProto(p string) bool {
	switch p {
	case "tcp", "udp", "sctp":
		return true
	}
	return false
}

// splitProto splits "80/tcp" into "80" and "tcp" (default tcp).
func splitProto(s string) (string, string) {
	port, proto, ok := strings.Cut(s, "/")
	if !ok || proto == "" {
		return port, "tcp"
	}
	return port, strings.ToLower(proto)
}

// PortMapping is one parsed -p spec expanded to single ports.
type PortMapping struct {
	Port    network.Port
	Binding network.PortBinding
}

// ParsePortSpec parses one -p value: [ip:][hostPort:]containerPort[/proto],
// where ip may be an IPv6 literal in brackets ("[::1]:80:80") and the ports
// may be ranges of equal length (or a host range with a single container
// port, which lets the daemon pick one host port of the range).
func ParsePortSpec(raw string) ([]PortMapping, error) {
	var ip, hostPort, containerPort string
	spec, proto := splitProto(raw)
	if !validProto(proto) {
		return nil, fmt.Errorf("invalid proto: %s", proto)
	}
	if strings.HasPrefix(spec, "[") {
		end := strings.LastIndex(spec, "]")
		if end < 0 {
			return nil, fmt.Errorf("invalid IP address: %s", spec)
		}
		ip = spec[1:end]
		rest := spec[end+1:]
		if !strings.HasPrefix(rest, ":") {
			return nil, fmt.Errorf("invalid port format for --publish: %s", raw)
		}
		rest = rest[1:]
		var ok bool
		hostPort, containerPort, ok = strings.Cut(rest, ":")
		if !ok {
			return nil, fmt.Errorf("invalid port format for --publish: %s", raw)
		}
		if ip == "" {
			return nil, fmt.Errorf("invalid IP address: %s", ip)
		}
	} else {
		parts := strings.Split(spec, ":")
		switch len(parts) {
		case 1:
			containerPort = parts[0]
		case 2:
			hostPort, containerPort = parts[0], parts[1]
		case 3:
			ip, hostPort, containerPort = parts[0], parts[1], parts[2]
		default:
			// An unbracketed IPv6 address: everything before the last two fields.
			n := len(parts)
			ip = strings.Join(parts[:n-2], ":")
			hostPort, containerPort = parts[n-2], parts[n-1]
		}
	}
	var addr netip.Addr
	if ip != "" {
		a, err := netip.ParseAddr(ip)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("invalid IP address: %s", ip)
		}
		addr = a.Unmap()
	}
	if containerPort == "" {
		return nil, fmt.Errorf("no port specified: %s<empty>", raw)
	}
	cStart, cEnd, err := ParsePortRange(containerPort)
	if err != nil {
		return nil, fmt.Errorf("invalid containerPort: %s", containerPort)
	}
	var hStart, hEnd uint16
	if hostPort != "" {
		hStart, hEnd, err = ParsePortRange(hostPort)
		if err != nil {
			return nil, fmt.Errorf("invalid hostPort: %s", hostPort)
		}
	}
	cLen := int(cEnd) - int(cStart)
	hLen := int(hEnd) - int(hStart)
	if hostPort != "" && hLen != cLen && cLen != 0 {
		return nil, fmt.Errorf("invalid ranges specified for container and host Ports: %s and %s", containerPort, hostPort)
	}
	var out []PortMapping
	for i := 0; i <= cLen; i++ {
		p, ok := network.PortFrom(cStart+uint16(i), network.IPProtocol(proto))
		if !ok {
			return nil, fmt.Errorf("invalid containerPort: %s", containerPort)
		}
		hp := ""
		switch {
		case hostPort == "":
		case cLen == 0 && hLen != 0:
			hp = fmt.Sprintf("%d-%d", hStart, hEnd)
		default:
			hp = strconv.Itoa(int(hStart) + i)
		}
		out = append(out, PortMapping{Port: p, Binding: network.PortBinding{HostIP: addr, HostPort: hp}})
	}
	return out, nil
}

// ParsePortSpecs parses all -p values into the exposed-port set and the
// HostConfig.PortBindings map.
func ParsePortSpecs(specs []string) (network.PortSet, network.PortMap, error) {
	exposed := network.PortSet{}
	bindings := network.PortMap{}
	for _, s := range specs {
		maps, err := ParsePortSpec(s)
		if err != nil {
			return nil, nil, err
		}
		for _, m := range maps {
			exposed[m.Port] = struct{}{}
			bindings[m.Port] = append(bindings[m.Port], m.Binding)
		}
	}
	return exposed, bindings, nil
}

// ParseExpose parses an --expose value: "80", "80/udp" or "8000-8010/tcp".
func ParseExpose(raw string) ([]network.Port, error) {
	port, proto := splitProto(raw)
	if !validProto(proto) {
		return nil, fmt.Errorf("invalid proto: %s", proto)
	}
	start, end, err := ParsePortRange(port)
	if err != nil {
		return nil, fmt.Errorf("invalid range format for --expose: %s, error: %w", raw, err)
	}
	var out []network.Port
	for i := int(start); i <= int(end); i++ {
		p, _ := network.PortFrom(uint16(i), network.IPProtocol(proto))
		out = append(out, p)
	}
	return out, nil
}
