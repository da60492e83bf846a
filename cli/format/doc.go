// Package format renders CLI output the way the docker CLI does: Go
// text/template with docker's template functions, the "table" prefix
// (tab-aligned columns, header row from display names), the "json"
// shorthand (one JSON object per row and line), plus display helpers
// (TruncateID, HumanSize, HumanDuration, Ellipsis).
//
// Rows are any values a template can read: structs with exported fields or,
// like docker, pointer types with accessor methods. A method-based row
// should implement json.Marshaler with MarshalJSON(row) so that "--format
// json" and {{json .}} print its accessor values:
//
//	type psRow struct{ c container.Summary; trunc bool }
//	func (r *psRow) ID() string    { if r.trunc { return format.TruncateID(r.c.ID) }; return r.c.ID }
//	func (r *psRow) Names() string { return strings.TrimPrefix(r.c.Names[0], "/") }
//	func (r *psRow) MarshalJSON() ([]byte, error) { return format.MarshalJSON(r) }
//
//	rows := []any{}
//	for _, c := range list { rows = append(rows, &psRow{c: c, trunc: !noTrunc}) }
//	// userFormat is the --format flag value: "", "table", "table {{.ID}}",
//	// "json" or any custom template; "" and "table" select the default.
//	err := format.Write(cli.Out(), userFormat, format.DefaultContainerTable, rows, format.ContainerHeaders)
//
// With the default table this prints, like docker,
//
//	CONTAINER ID   IMAGE     COMMAND ...
//	4c9b1a2e7f10   busybox   "sh"    ...
//
// Quiet flags (-q) are the caller's job: pass format.QuietFormat ("{{.ID}}")
// as the template.
package format
