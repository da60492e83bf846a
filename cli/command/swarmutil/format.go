package swarmutil

import (
	"bytes"
	"errors"
	"io"
	"text/template"

	"github.com/berth-project/berth/cli/format"
)

// FormatHelp is docker's --format help for swarm object lists.
const FormatHelp = `Format output using a custom template:
'table':            Print output in table format with column headers (default)
'table TEMPLATE':   Print output in table format using the given Go template
'json':             Print in JSON format
'TEMPLATE':         Print output using the given Go template.
Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates`

// ListFormat applies -q: only the default table turns into bare IDs.
func ListFormat(userFormat string, quiet bool) string {
	if quiet && (userFormat == "" || userFormat == format.TableKey) {
		return "{{.ID}}"
	}
	return userFormat
}

// Pretty prints each object through a --pretty template (which may call
// {{pretty X}} for docker's PrettyPrint), one after another. Like docker,
// every object is fetched first and nothing is printed if one is missing.
func Pretty(out io.Writer, refs []string, text string, get format.GetRefFunc) error {
	funcs := format.Funcs()
	funcs["pretty"] = PrettyPrint
	funcs["deref"] = func(b *bool) bool { return b != nil && *b }
	t, err := template.New("pretty").Funcs(funcs).Parse(text)
	if err != nil {
		return err
	}
	var errs []error
	var buf bytes.Buffer
	for _, ref := range refs {
		v, _, err := get(ref)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := t.Execute(&buf, v); err != nil {
			errs = append(errs, err)
			continue
		}
		buf.WriteString("\n")
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	_, err = buf.WriteTo(out)
	return err
}
