package apiserver

import (
	"strings"

	"github.com/berth-project/berth/apiserver/router"
)

// segment kinds of a compiled route pattern.
const (
	segLiteral = iota
	segVar
	segGreedy
)

type segment struct {
	kind int
	text string // literal text or variable name
}

type compiled struct {
	route  router.Route
	segs   []segment
	greedy int // index of the greedy segment, -1 if none
}

func compile(rt router.Route) compiled {
	c := compiled{route: rt, greedy: -1}
	for _, s := range splitPath(rt.Path) {
		switch {
		case strings.HasPrefix(s, "{") && strings.HasSuffix(s, ":.*}"):
			c.greedy = len(c.segs)
			c.segs = append(c.segs, segment{segGreedy, s[1 : len(s)-4]})
		case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}"):
			c.segs = append(c.segs, segment{segVar, s[1 : len(s)-1]})
		default:
			c.segs = append(c.segs, segment{segLiteral, s})
		}
	}
	return c
}

func splitPath(p string) []string {
	p = strings.TrimPrefix(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// match reports whether parts match the pattern and returns the variables.
func (c *compiled) match(parts []string) (map[string]string, bool) {
	n := len(c.segs)
	if c.greedy < 0 {
		if len(parts) != n {
			return nil, false
		}
	} else if len(parts) < n {
		return nil, false
	}
	var vars map[string]string
	set := func(k, v string) {
		if vars == nil {
			vars = make(map[string]string, 2)
		}
		vars[k] = v
	}
	one := func(s segment, p string) bool {
		switch s.kind {
		case segLiteral:
			return s.text == p
		case segVar:
			if p == "" {
				return false
			}
			set(s.text, p)
		}
		return true
	}
	if c.greedy < 0 {
		for i, s := range c.segs {
			if !one(s, parts[i]) {
				return nil, false
			}
		}
		return vars, true
	}
	for i := 0; i < c.greedy; i++ {
		if !one(c.segs[i], parts[i]) {
			return nil, false
		}
	}
	tail := n - c.greedy - 1
	for j := 0; j < tail; j++ {
		if !one(c.segs[n-1-j], parts[len(parts)-1-j]) {
			return nil, false
		}
	}
	mid := strings.Join(parts[c.greedy:len(parts)-tail], "/")
	if mid == "" {
		return nil, false
	}
	set(c.segs[c.greedy].text, mid)
	return vars, true
}

// table indexes routes by first literal segment so a request only scans
// the handful of routes of its area.
type table struct {
	byFirst  map[string][]*compiled
	wildcard []*compiled // patterns starting with a variable
}

func (t *table) add(c *compiled) {
	if t.byFirst == nil {
		t.byFirst = map[string][]*compiled{}
	}
	if len(c.segs) > 0 && c.segs[0].kind == segLiteral {
		t.byFirst[c.segs[0].text] = append(t.byFirst[c.segs[0].text], c)
		return
	}
	t.wildcard = append(t.wildcard, c)
}

func (t *table) lookup(method string, parts []string) (*compiled, map[string]string) {
	first := ""
	if len(parts) > 0 {
		first = parts[0]
	}
	for _, list := range [][]*compiled{t.byFirst[first], t.wildcard} {
		for _, c := range list {
			if c.route.Method != "" && c.route.Method != method {
				continue
			}
			if vars, ok := c.match(parts); ok {
				return c, vars
			}
		}
	}
	return nil, nil
}

// mux holds regular routes and fallbacks. Registering the same method and
// path twice replaces the earlier route.
type mux struct {
	regular, fallback table
}

func (m *mux) add(rt router.Route) {
	c := compile(rt)
	t := &m.regular
	if rt.Fallback {
		t = &m.fallback
	}
	if t.replace(&c) {
		return
	}
	t.add(&c)
}

func (t *table) replace(c *compiled) bool {
	for _, list := range t.byFirst {
		for _, old := range list {
			if old.route.Method == c.route.Method && old.route.Path == c.route.Path {
				*old = *c
				return true
			}
		}
	}
	for _, old := range t.wildcard {
		if old.route.Method == c.route.Method && old.route.Path == c.route.Path {
			*old = *c
			return true
		}
	}
	return false
}

func (m *mux) lookup(method, path string) (*compiled, map[string]string) {
	parts := splitPath(path)
	if c, vars := m.regular.lookup(method, parts); c != nil {
		return c, vars
	}
	return m.fallback.lookup(method, parts)
}
