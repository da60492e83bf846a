package builder

import (
	"fmt"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"sort"
	"strings"
	"sync"
)

// builtinArgs may be passed with --build-arg without an ARG: they reach
// RUN but stay out of the image history unless the Dockerfile declares
// them (Docker's predefined proxy args).
var builtinArgs = map[string]bool{
	"HTTP_PROXY": true, "http_proxy": true,
	"HTTPS_PROXY": true, "https_proxy": true,
	"FTP_PROXY": true, "ftp_proxy": true,
	"NO_PROXY": true, "no_proxy": true,
	"ALL_PROXY": true, "all_proxy": true,
}

// usedArgs collects the --build-arg names some ARG declared, across all
// stages, for the "were not consumed" warning.
type usedArgs struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (u *usedArgs) add(k string) {
	u.mu.Lock()
	u.seen[k] = true
	u.mu.Unlock()
}

// buildArgs is the ARG scope of one stage (Docker's BuildArgs): values
// from the request, the meta ARGs (before the first FROM) and the ARGs
// the stage declared so far.
type buildArgs struct {
	options map[string]*string // --build-arg
	meta    map[string]*string // ARG before FROM, with values resolved
	allowed map[string]*string // declared in this stage: default value
	order   []string           // declaration order of allowed
	used    *usedArgs
}

func newBuildArgs(options map[string]*string, used *usedArgs) *buildArgs {
	return &buildArgs{options: options, meta: map[string]*string{}, allowed: map[string]*string{}, used: used}
}

// forStage starts the scope of a stage: meta ARGs stay visible to FROM
// only, until the stage redeclares them.
func (a *buildArgs) forStage() *buildArgs {
	n := newBuildArgs(a.options, a.used)
	n.meta = a.meta
	return n
}

// value is what the arg resolves to: the request's value wins over the
// declared default.
func (a *buildArgs) value(k string, def *string) *string {
	if v, ok := a.options[k]; ok && v != nil {
		return v
	}
	return def
}

// addMeta declares an ARG before the first FROM.
func (a *buildArgs) addMeta(k string, def *string) {
	a.used.add(k)
	a.meta[k] = a.value(k, def)
}

// add declares an ARG inside a stage. Without a default, a meta ARG of
// the same name gives it.
func (a *buildArgs) add(k string, def *string) {
	a.used.add(k)
	if def == nil {
		if m, ok := a.meta[k]; ok {
			def = m
		}
	}
	if _, ok := a.allowed[k]; !ok {
		a.order = append(a.order, k)
	}
	a.allowed[k] = def
}

// metaEnv is the expansion scope of FROM lines.
func (a *buildArgs) metaEnv() []string {
	var out []string
	for k, v := range a.meta {
		if v != nil {
			out = append(out, k+"="+*v)
		}
	}
	sort.Strings(out)
	return out
}

// filterAllowed returns the args in scope as KEY=value, skipping those an
// ENV of the same name (in env) overrides; builtin proxy args from the
// request are included even when undeclared.
func (a *buildArgs) filterAllowed(env []string) []string {
	set := map[string]bool{}
	for _, e := range env {
		k, _, _ := strings.Cut(e, "=")
		set[k] = true
	}
	var out []string
	for _, k := range a.order {
		if set[k] {
			continue
		}
		if v := a.value(k, a.allowed[k]); v != nil {
			out = append(out, k+"="+*v)
		}
	}
	var builtin []string
	for k, v := range a.options {
		if _, declared := a.allowed[k]; declared || !builtinArgs[k] || set[k] || v == nil {
			continue
		}
		builtin = append(builtin, k+"="+*v)
	}
	sort.Strings(builtin)
	return append(out, builtin...)
}

// referencedOrNotBuiltin tells whether k belongs in the history's "|N"
// prefix: declared args do, undeclared proxy args do not.
func (a *buildArgs) referencedOrNotBuiltin(k string) bool {
	_, declared := a.allowed[k]
	return declared || !builtinArgs[k]
}

// prependEnvOnCmd is Docker's "|N k=v ... cmd" form of a RUN with build
// args: it makes the args part of the history and the cache key.
func (a *buildArgs) prependEnvOnCmd(vars []string, cmd []string) []string {
	var keep []string
	for _, e := range vars {
		k, _, _ := strings.Cut(e, "=")
		if a.referencedOrNotBuiltin(k) {
			keep = append(keep, e)
		}
	}
	sort.Strings(keep)
	return append(append([]string{fmt.Sprintf("|%d", len(keep))}, keep...), cmd...)
}

// unconsumed lists --build-arg names no ARG declared.
func unconsumed(options map[string]*string, used *usedArgs) []string {
	var out []string
	for k := range options {
		if !used.seen[k] && !builtinArgs[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// processMetaArg declares an ARG before the first FROM; its default may
// use the meta ARGs before it.
func processMetaArg(c instructions.ArgCommand, args *buildArgs, escape rune) error {
	lex := shell.NewLex(escape)
	for _, kv := range c.Args {
		def := kv.Value
		if def != nil {
			v, _, err := lex.ProcessWord(*def, shell.EnvsFromSlice(args.metaEnv()))
			if err != nil {
				return errdefs.InvalidParameter("%v", err)
			}
			def = &v
		}
		args.addMeta(kv.Key, def)
	}
	return nil
}
