package format

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/docker/go-units"
)

// TruncateID returns the 12-character short form of an ID, without any
// "sha256:" style algorithm prefix, like docker's stringid.TruncateID.
func TruncateID(id string) string {
	if i := strings.IndexRune(id, ':'); i >= 0 {
		id = id[i+1:]
	}
	if len(id) > 12 {
		id = id[:12]
	}
	return id
}

// HumanSize prints a byte count like docker's tables: decimal units with
// three significant digits ("1.23MB", "4.1kB", "0B").
func HumanSize(size int64) string {
	return units.HumanSizeWithPrecision(float64(size), 3)
}

// HumanDuration prints a duration like docker ("Less than a second",
// "About a minute", "3 hours", "2 weeks").
func HumanDuration(d time.Duration) string {
	return units.HumanDuration(d)
}

// Since prints how long ago t was, e.g. "About a minute ago"; the zero
// time or the Unix epoch print "" (callers show N/A like docker).
func Since(t time.Time) string {
	if t.IsZero() || t.Unix() <= 0 {
		return ""
	}
	return units.HumanDuration(time.Now().UTC().Sub(t)) + " ago"
}

// Ellipsis shortens s to at most max runes, ending in "…" when cut.
func Ellipsis(s string, max int) string {
	if max <= 0 {
		return ""
	}
	rs := []rune(s)
	if max == 1 {
		if len(rs) == 0 {
			return ""
		}
		return string(rs[0])
	}
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string(rs[:max-1]) + "…"
}

// NaturalLess is docker's sort order for names
// (github.com/fvbommel/sortorder.NaturalLess): digits sort before other
// characters, runs of digits compare by value (vol2 before vol10), and of
// equal values the one with fewer leading zeros comes first.
func NaturalLess(a, b string) bool {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		ca, cb := a[i], b[j]
		da, db := isDigit(ca), isDigit(cb)
		switch {
		case da != db:
			return da
		case !da:
			if ca != cb {
				return ca < cb
			}
			i++
			j++
		default:
			for ; i < len(a) && a[i] == '0'; i++ {
			}
			for ; j < len(b) && b[j] == '0'; j++ {
			}
			nz1, nz2 := i, j
			for ; i < len(a) && isDigit(a[i]); i++ {
			}
			for ; j < len(b) && isDigit(b[j]); j++ {
			}
			if l1, l2 := i-nz1, j-nz2; l1 != l2 {
				return l1 < l2
			}
			if n1, n2 := a[nz1:i], b[nz2:j]; n1 != n2 {
				return n1 < n2
			}
			if nz1 != nz2 {
				return nz1 < nz2
			}
		}
	}
	return len(a) < len(b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
