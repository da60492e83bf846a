package builder

import (
	"strconv"
	"strings"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// plan says which stages a build needs and what each waits for.
type plan struct {
	order []int         // needed stages, in Dockerfile order
	deps  map[int][]int // stage -> stages it needs first
	// firstStep is the step number of each needed stage's FROM.
	firstStep map[int]int
}

// planStages finds the stages the last one (the target) needs through
// FROM <stage> and COPY --from=<stage|index>. Names are expanded with the
// meta ARGs, as FROM is.
func planStages(stages []instructions.Stage, args *buildArgs, escape rune) (*plan, error) {
	lex := shell.NewLex(escape)
	env := shell.EnvsFromSlice(args.metaEnv())
	byName := map[string]int{}
	deps := map[int][]int{}
	for i, s := range stages {
		if s.Name != "" {
			if _, dup := byName[s.Name]; dup {
				return nil, errdefs.InvalidParameter("%s stage name already used", s.Name)
			}
		}
		ref := func(name string) (int, bool) {
			name, _, _ = lex.ProcessWord(name, env)
			if j, ok := byName[strings.ToLower(name)]; ok {
				return j, true
			}
			return 0, false
		}
		if j, ok := ref(s.BaseName); ok {
			deps[i] = append(deps[i], j)
		}
		for _, c := range s.Commands {
			cp, ok := c.(*instructions.CopyCommand)
			if !ok || cp.From == "" {
				continue
			}
			if j, ok := ref(cp.From); ok {
				deps[i] = append(deps[i], j)
			} else if n, err := strconv.Atoi(cp.From); err == nil {
				if n < 0 || n >= i {
					return nil, errdefs.InvalidParameter("invalid from flag value %s: refers to current build stage or one after it", cp.From)
				}
				deps[i] = append(deps[i], n)
			}
		}
		if s.Name != "" {
			byName[s.Name] = i
		}
	}
	need := map[int]bool{}
	var visit func(int)
	visit = func(i int) {
		if need[i] {
			return
		}
		need[i] = true
		for _, d := range deps[i] {
			visit(d)
		}
	}
	visit(len(stages) - 1)
	p := &plan{deps: deps, firstStep: map[int]int{}}
	for i := range stages {
		if need[i] {
			p.order = append(p.order, i)
		}
	}
	return p, nil
}
