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
