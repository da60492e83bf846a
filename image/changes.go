package image

import (
	"encoding/json"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

// validChangeCommands are the Dockerfile instructions `docker commit` and
// `docker import` accept as --change (Docker's validCommitCommands).
var validChangeCommands = map[string]bool{
	"cmd": true, "entrypoint": true, "healthcheck": true, "env": true, "expose": true,
	"label": true, "onbuild": true, "stopsignal": true, "user": true, "volume": true, "workdir": true,
}

// ApplyChanges applies Dockerfile instructions to cfg the way Docker's
// BuildFromConfig does for `commit --change` and `import --change`:
// variables in ENV/LABEL/EXPOSE/WORKDIR/USER/VOLUME/STOPSIGNAL expand from
// the config's environment, shell forms use cfg.Shell or /bin/sh -c, and
// ENTRYPOINT resets a CMD not set by the same changes. Errors are
// 400-class with Docker's wording.
func ApplyChanges(cfg *container.Config, changes []string) error {
	cmdSet := false
	for _, line := range logicalLines(changes) {
		instr, rest, _ := strings.Cut(line, " ")
		if i := strings.IndexAny(line, " \t"); i >= 0 {
			instr, rest = line[:i], strings.TrimSpace(line[i+1:])
		}
		cmd := strings.ToLower(instr)
		if !validChangeCommands[cmd] {
			return errdefs.InvalidParameter("%s is not a valid change command", cmd)
		}
		if err := applyChange(cfg, cmd, rest, &cmdSet); err != nil {
			return errdefs.AsInvalidParameter(err)
		}
	}
	return nil
}

func applyChange(cfg *container.Config, cmd, rest string, cmdSet *bool) error {
	upper := strings.ToUpper(cmd)
	switch cmd {
	case "cmd":
		cfg.Cmd = commandLine(cfg, rest)
		*cmdSet = true
	case "entrypoint":
		cfg.Entrypoint = commandLine(cfg, rest)
		if rest == "" {
			cfg.Entrypoint = nil
		}
		if !*cmdSet {
			cfg.Cmd = nil
		}
	case "env", "label":
		pairs, err := parseNameVal(rest, upper, cfg.Env)
		if err != nil {
			return err
		}
		for _, kv := range pairs {
			if cmd == "env" {
				cfg.Env = setEnv(cfg.Env, kv[0], kv[1])
				continue
			}
			if cfg.Labels == nil {
				cfg.Labels = map[string]string{}
			}
			cfg.Labels[kv[0]] = kv[1]
		}
	case "expose":
		words, err := expandWords(rest, cfg.Env)
		if err != nil {
			return err
		}
		if len(words) == 0 {
			return errf("EXPOSE requires at least one argument")
		}
		for _, w := range words {
			pr, err := network.ParsePortRange(w)
			if err != nil {
				return errf("invalid containerPort: %s", w)
			}
			if cfg.ExposedPorts == nil {
				cfg.ExposedPorts = network.PortSet{}
			}
			for p := range pr.All() {
				cfg.ExposedPorts[p] = struct{}{}
			}
		}
	case "workdir":
		dir, err := expandWord(rest, cfg.Env)
		if err != nil {
			return err
		}
		if dir == "" {
			return errf("WORKDIR requires exactly one argument")
		}
		if !path.IsAbs(dir) {
			dir = path.Join("/", cfg.WorkingDir, dir)
		}
		cfg.WorkingDir = path.Clean(dir)
	case "user":
		u, err := expandWord(rest, cfg.Env)
		if err != nil {
			return err
		}
		if u == "" {
			return errf("USER requires exactly one argument")
		}
		cfg.User = u
	case "volume":
		var vols []string
		if err := json.Unmarshal([]byte(rest), &vols); err != nil || !strings.HasPrefix(rest, "[") {
			var werr error
			if vols, werr = expandWords(rest, cfg.Env); werr != nil {
				return werr
			}
		}
		if len(vols) == 0 {
			return errf("VOLUME requires at least one argument")
		}
		for _, v := range vols {
			if strings.TrimSpace(v) == "" {
				return errf("VOLUME specified can not be an empty string")
			}
			if cfg.Volumes == nil {
				cfg.Volumes = map[string]struct{}{}
			}
			cfg.Volumes[v] = struct{}{}
		}
	case "stopsignal":
		sig, err := expandWord(rest, cfg.Env)
		if err != nil {
			return err
		}
		if !validSignal(sig) {
			return errf("Invalid signal: %s", sig)
		}
		cfg.StopSignal = sig
	case "onbuild":
		trigger, _, _ := strings.Cut(rest, " ")
		switch strings.ToUpper(trigger) {
		case "":
			return errf("ONBUILD requires at least one argument")
		case "ONBUILD":
			return errf("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")
		case "FROM", "MAINTAINER":
			return errf("%s isn't allowed as an ONBUILD trigger", strings.ToUpper(trigger))
		}
		cfg.OnBuild = append(cfg.OnBuild, rest)
	case "healthcheck":
		hc, err := parseHealthcheck(rest)
		if err != nil {
			return err
		}
		cfg.Healthcheck = hc
	}
	return nil
}

// logicalLines joins the changes as Docker does (one Dockerfile, lines
// separated by newlines), folds backslash continuations and drops blank
// and comment lines.
func logicalLines(changes []string) []string {
	var out []string
	cur := ""
	for _, raw := range strings.Split(strings.Join(changes, "\n"), "\n") {
		l := strings.TrimSpace(raw)
		if cur == "" && (l == "" || strings.HasPrefix(l, "#")) {
			continue
		}
		if strings.HasSuffix(l, "\\") {
			cur += strings.TrimSuffix(l, "\\")
			continue
		}
		cur += l
		out = append(out, strings.TrimSpace(cur))
		cur = ""
	}
	if strings.TrimSpace(cur) != "" {
		out = append(out, strings.TrimSpace(cur))
	}
	return out
}

// commandLine parses the JSON (exec) form, falling back to the shell form
// run through cfg.Shell or ["/bin/sh", "-c"].
func commandLine(cfg *container.Config, rest string) []string {
	var args []string
	if strings.HasPrefix(rest, "[") && json.Unmarshal([]byte(rest), &args) == nil {
		if args == nil {
			args = []string{}
		}
		return args
	}
	shell := []string{"/bin/sh", "-c"}
	if len(cfg.Shell) > 0 {
		shell = cfg.Shell
	}
	return append(append([]string{}, shell...), rest)
}

// parseNameVal parses ENV/LABEL arguments: "k=v k2=v2" with quoting, or
// the legacy "k value with spaces".
func parseNameVal(rest, instr string, env []string) ([][2]string, error) {
	words := splitWords(rest)
	if len(words) == 0 {
		return nil, errf("%s requires at least one argument", instr)
	}
	var out [][2]string
	if !strings.Contains(words[0], "=") {
		k, v, ok := cutSpace(rest)
		if !ok {
			return nil, errf("%s must have two arguments", instr)
		}
		val, err := expandWord(v, env)
		if err != nil {
			return nil, err
		}
		return [][2]string{{k, val}}, nil
	}
	for _, w := range words {
		k, v, ok := strings.Cut(w, "=")
		if !ok {
			return nil, errf("Syntax error - can't find = in %q. Must be of the form: name=value", w)
		}
		key, err := expandWord(k, env)
		if err != nil {
			return nil, err
		}
		if key == "" {
			return nil, errf("%s names can not be blank", instr)
		}
		val, err := expandWord(v, env)
		if err != nil {
			return nil, err
		}
		out = append(out, [2]string{key, val})
	}
	return out, nil
}

func cutSpace(s string) (string, string, bool) {
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, "", false
	}
	return s[:i], strings.TrimSpace(s[i+1:]), true
}

func setEnv(env []string, k, v string) []string {
	for i, e := range env {
		if ek, _, _ := strings.Cut(e, "="); ek == k {
			env[i] = k + "=" + v
			return env
		}
	}
	return append(env, k+"="+v)
}

func validSignal(s string) bool {
	if s == "" {
		return false
	}
	if n, err := strconv.Atoi(s); err == nil {
		return n > 0 && n < 65
	}
	u := strings.TrimPrefix(strings.ToUpper(s), "SIG")
	return u != "" && strings.Trim(u, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-") == ""
}

// parseHealthcheck parses "NONE" or "[--opt=v ...] CMD command".
func parseHealthcheck(rest string) (*container.HealthConfig, error) {
	hc := &container.HealthConfig{}
	for strings.HasPrefix(rest, "--") {
		flag, r, _ := cutSpace(rest)
		rest = r
		name, val, ok := strings.Cut(strings.TrimPrefix(flag, "--"), "=")
		if !ok {
			return nil, errf("missing value for flag --%s", name)
		}
		var d time.Duration
		var err error
		if name != "retries" {
			if d, err = time.ParseDuration(val); err != nil {
				return nil, errf("invalid value for --%s: %v", name, err)
			}
		}
		switch name {
		case "interval":
			hc.Interval = d
		case "timeout":
			hc.Timeout = d
		case "start-period":
			hc.StartPeriod = d
		case "start-interval":
			hc.StartInterval = d
		case "retries":
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 {
				return nil, errf("invalid value for --retries: %s", val)
			}
			hc.Retries = n
		default:
			return nil, errf("Unknown flag: %s", name)
		}
	}
	typ, args, _ := cutSpace(rest)
	switch strings.ToUpper(typ) {
	case "NONE":
		if args != "" {
			return nil, errf("HEALTHCHECK NONE takes no arguments")
		}
		hc.Test = []string{"NONE"}
	case "CMD":
		var exec []string
		if strings.HasPrefix(args, "[") && json.Unmarshal([]byte(args), &exec) == nil {
			hc.Test = append([]string{"CMD"}, exec...)
		} else if args != "" {
			hc.Test = []string{"CMD-SHELL", args}
		} else {
			return nil, errf("Missing command after HEALTHCHECK CMD")
		}
	default:
		return nil, errf("Unknown type %q in HEALTHCHECK (try CMD)", typ)
	}
	return hc, nil
}
