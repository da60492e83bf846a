package format

import (
	"reflect"
	"sort"
	"testing"
)

func TestNaturalLessPairs(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want bool
	}{
		{"net2", "net10", true}, {"net10", "net2", false}, {"a", "b", true}, {"net02", "net2", false},
		{"net2", "net02", true}, {"1", "a", true}, {"net", "net1", true}, {"x", "x", false},
	} {
		if got := NaturalLess(tt.a, tt.b); got != tt.want {
			t.Errorf("NaturalLess(%q, %q) = %v", tt.a, tt.b, got)
		}
	}
}

func TestNaturalLessSort(t *testing.T) {
	in := []string{"vol10", "vol2", "vol02", "a-b", "a1", "B", "a", "vol1x"}
	want := []string{"B", "a", "a1", "a-b", "vol1x", "vol2", "vol02", "vol10"}
	got := append([]string(nil), in...)
	sort.SliceStable(got, func(i, j int) bool { return NaturalLess(got[i], got[j]) })
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}
