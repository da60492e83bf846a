package format

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

type testRow struct{ id, name string }

func (r *testRow) ID() string                   { return TruncateID(r.id) }
func (r *testRow) Name() string                 { return r.name }
func (r *testRow) Labels() []string             { return []string{"a=1", "b=2"} }
func (r *testRow) MarshalJSON() ([]byte, error) { return MarshalJSON(r) }

var testRows = []any{
	&testRow{id: "sha256:0123456789abcdef0123", name: "first"},
	&testRow{id: "fedcba9876543210", name: "a-much-longer-name"},
}

var testHeaders = Headers{"ID": "CONTAINER ID", "Name": "NAMES"}

func TestWrite(t *testing.T) {
	const def = "table {{.ID}}\t{{.Name}}"
	tests := []struct {
		name, format string
		rows         []any
		want         string
	}{
		{"default table", "", testRows,
			"CONTAINER ID   NAMES\n" +
				"0123456789ab   first\n" +
				"fedcba987654   a-much-longer-name\n"},
		{"bare table", "table", testRows[:1],
			"CONTAINER ID   NAMES\n0123456789ab   first\n"},
		{"table no rows prints header", "", nil, "CONTAINER ID   NAMES\n"},
		{"min width 10", "table {{.Name}}\t{{.ID}}", testRows[:1],
			"NAMES     CONTAINER ID\nfirst     0123456789ab\n"},
		{"custom escaped tab", `{{.Name}}\t{{.ID}}`, testRows[:1], "first\t0123456789ab\n"},
		{"custom", "{{.Name}}", testRows, "first\na-much-longer-name\n"},
		{"json shorthand", "json", testRows[:1],
			`{"ID":"0123456789ab","Labels":["a=1","b=2"],"Name":"first"}` + "\n"},
		{"funcs", `{{upper .Name}} {{title .Name}} {{truncate .Name 3}} {{join .Labels ","}} [{{pad .Name 1 2}}] {{index (split .Name "-") 0}}`, testRows[1:],
			"A-MUCH-LONGER-NAME A-Much-Longer-Name a-m a=1,b=2 [ a-much-longer-name  ] a\n"},
		{"header keeps titles", "table {{lower .Name}}", testRows[:1], "NAMES\nfirst\n"},
		{"unknown header", "table {{.Name}}\t{{.Labels}}", nil, "NAMES     <no value>\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, tc.format, def, tc.rows, testHeaders); err != nil {
				t.Fatal(err)
			}
			if buf.String() != tc.want {
				t.Errorf("got\n%q\nwant\n%q", buf.String(), tc.want)
			}
		})
	}
}

func TestWriteErrors(t *testing.T) {
	for _, f := range []string{"{{.Name", "{{.Nope}}"} {
		err := Write(&bytes.Buffer{}, f, "", testRows, nil)
		if err == nil || !strings.HasPrefix(err.Error(), "template parsing error") {
			t.Errorf("%q: got %v", f, err)
		}
	}
}

func TestHelpers(t *testing.T) {
	cases := []struct{ got, want string }{
		{TruncateID("sha256:abcdef0123456789abcdef"), "abcdef012345"},
		{TruncateID("abc"), "abc"},
		{HumanSize(0), "0B"},
		{HumanSize(4096), "4.1kB"},
		{HumanSize(1234567), "1.23MB"},
		{HumanDuration(90 * time.Second), "About a minute"},
		{Since(time.Now().Add(-3 * time.Hour)), "3 hours ago"},
		{Since(time.Unix(0, 0)), ""},
		{Ellipsis("hello world", 5), "hell…"},
		{Ellipsis("hello", 5), "hello"},
		{Ellipsis("hello", 1), "h"},
		{Ellipsis("hello", 0), ""},
		{Headers{}.Label("com.example.my-label"), "my label"},
	}
	for i, c := range cases {
		if c.got != c.want {
			t.Errorf("case %d: got %q want %q", i, c.got, c.want)
		}
	}
}

func TestJoinTypes(t *testing.T) {
	s, err := join([]int{1, 2}, "+")
	if err != nil || s != "1+2" {
		t.Errorf("slice: %q %v", s, err)
	}
	s, _ = join(map[string]string{"b": "2", "a": "1"}, ",")
	if s != "1,2" {
		t.Errorf("map: %q", s)
	}
	if _, err := join(3, ","); err == nil {
		t.Error("int: want error")
	}
}
