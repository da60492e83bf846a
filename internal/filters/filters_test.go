package filters

import "testing"

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		name    string
		want    []string
		wantErr bool
	}{
		{``, "status", nil, false},
		{`{"status":{"running":true}}`, "status", []string{"running"}, false},
		{`{"status":["exited","running"]}`, "status", []string{"exited", "running"}, false},
		{`{"status":{"running":false}}`, "status", nil, false},
		{`{"status":"running"}`, "", nil, true},
		{`not json`, "", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			a, err := Parse(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			got := a.Get(tt.name)
			if len(got) != len(tt.want) {
				t.Fatalf("got %v want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("got %v want %v", got, tt.want)
				}
			}
		})
	}
}

func TestMatchers(t *testing.T) {
	a := NewArgs([2]string{"label", "a=1"}, [2]string{"label", "b"}, [2]string{"name", "^we"}, [2]string{"id", "abc"})
	if !a.MatchKVList("label", map[string]string{"a": "1", "b": "x"}) {
		t.Error("labels should match")
	}
	if a.MatchKVList("label", map[string]string{"a": "2", "b": "x"}) {
		t.Error("a=2 must not match a=1")
	}
	if !a.Match("name", "web") || a.Match("name", "db") {
		t.Error("regexp name match wrong")
	}
	if !a.FuzzyMatch("id", "abcdef") || a.FuzzyMatch("id", "xabc") {
		t.Error("prefix id match wrong")
	}
	if err := a.Validate("label", "name"); err == nil {
		t.Error("id should be rejected")
	}
	neg := NewArgs([2]string{"label", "a!=1"})
	if neg.MatchKVList("label", map[string]string{"a": "1"}) || !neg.MatchKVList("label", map[string]string{"a": "2"}) {
		t.Error("negated label wrong")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{``, `{"a":{"b":true}}`, `{"a":["b"]}`, `{`, `{"a":1}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := Parse(s)
		if err != nil {
			return
		}
		for name := range a.fields {
			_ = a.Get(name)
			_ = a.Match(name, "x")
			_ = a.MatchKVList(name, map[string]string{"x": "y"})
		}
	})
}

func TestAnyKV(t *testing.T) {
	labels := map[string]string{"a": "1", "b": ""}
	tests := []struct {
		terms []string
		want  bool
	}{
		{nil, false},
		{[]string{"a"}, true},
		{[]string{"a=1"}, true},
		{[]string{"a=2"}, false},
		{[]string{"c", "a=2"}, false},
		{[]string{"c", "b"}, true},
		{[]string{"b="}, true},
	}
	for _, tt := range tests {
		f := NewArgs()
		for _, term := range tt.terms {
			f.Add("label!", term)
		}
		if got := f.AnyKV("label!", labels); got != tt.want {
			t.Errorf("AnyKV(%q) = %v, want %v", tt.terms, got, tt.want)
		}
	}
}
