package format

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"text/template"
)

// Well-known format values, as accepted by docker's --format flags.
const (
	TableKey    = "table"
	JSONKey     = "json"
	QuietFormat = "{{.ID}}"
	JSONFormat  = "{{json .}}"
)

// Headers maps a row field name (as used in templates, e.g. "ID") to the
// column title printed in table mode (e.g. "CONTAINER ID"). Fields without
// an entry print "<no value>" as their title, like docker.
type Headers map[string]string

// Label returns a title for a label column ({{.Label "com.x.y"}}): the last
// dot-separated part with '-' and '_' turned into spaces, like docker.
func (Headers) Label(name string) string {
	n := strings.Split(name, ".")
	return strings.NewReplacer("-", " ", "_", " ").Replace(n[len(n)-1])
}

// IsTable reports whether the format is a table format.
func IsTable(f string) bool { return strings.HasPrefix(f, TableKey) }

// Resolve picks the effective format: an empty format or a bare "table"
// means defaultTable; everything else is returned unchanged.
func Resolve(userFormat, defaultTable string) string {
	if userFormat == "" || userFormat == TableKey {
		return defaultTable
	}
	return userFormat
}

// templateText turns a format into the template text: "json" becomes
// {{json .}}, the "table" prefix goes, surrounding spaces go and escaped
// "\t" / "\n" written on a command line become real tabs and newlines.
func templateText(f string) string {
	switch f {
	case TableKey:
		return ""
	case JSONKey:
		return JSONFormat
	}
	f = strings.TrimPrefix(f, TableKey)
	f = strings.Trim(f, " ")
	return strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(f)
}

// Parse parses a (non-table) template with docker's template functions,
// for single-object output such as `inspect -f`.
func Parse(text string) (*template.Template, error) {
	t, err := template.New("").Funcs(funcs).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("template parsing error: %w", err)
	}
	return t, nil
}

// Write renders rows to w. tmpl is the user's --format value ("" or
// "table" select defaultTable). Each row is printed followed by a newline;
// table formats are column-aligned with docker's tabwriter settings and
// get a header row built from headers, even when there are no rows.
func Write(w io.Writer, tmpl, defaultTable string, rows []any, headers Headers) error {
	f := Resolve(tmpl, defaultTable)
	t, err := Parse(templateText(f))
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	for _, row := range rows {
		if err := t.Execute(&buf, row); err != nil {
			return fmt.Errorf("template parsing error: %w", err)
		}
		buf.WriteByte('\n')
	}
	if !IsTable(f) {
		_, err := buf.WriteTo(w)
		return err
	}
	tw := NewTabWriter(w)
	// Header errors are ignored like docker: a template that cannot render
	// its header (e.g. {{json .}}) still prints its rows.
	if headers == nil {
		headers = Headers{}
	}
	_ = t.Funcs(headerFuncs).Execute(tw, headers)
	_, _ = tw.Write([]byte{'\n'})
	_, _ = buf.WriteTo(tw)
	return tw.Flush()
}

// NewTabWriter returns a tabwriter with docker's table settings: minimum
// cell width 10, tab width 1, padding 3 spaces.
func NewTabWriter(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)
}
