package compose

import (
	"strings"

	"github.com/berth-project/berth/compose"
	"github.com/compose-spec/compose-go/v2/types"
)

func imageOf(project, image, service string) string {
	if image != "" {
		return image
	}
	return project + compose.Separator + service
}

func splitComma(s string) []string { return strings.Split(s, ",") }

func serviceHash(p *types.Project, name string) (string, error) {
	return compose.ServiceHash(p.Services[name])
}
