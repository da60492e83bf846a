package image

import (
	"errors"
	"fmt"
	"strings"
)

func errf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// splitWords splits on whitespace outside quotes, keeping quotes and
// escapes in the words (like the Dockerfile parser's parseWords), so that
// "k=v" detection happens before quote removal.
func splitWords(s string) []string {
	var words []string
	var cur strings.Builder
	var quote rune
	inWord, escaped := false, false
	for _, r := range s {
		switch {
		case escaped:
			escaped = false
		case r == '\\' && quote != '\'':
			escaped = true
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
			continue
		}
		cur.WriteRune(r)
		inWord = true
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// expandWords splits s into words and expands each.
func expandWords(s string, env []string) ([]string, error) {
	var out []string
	for _, w := range splitWords(s) {
		e, err := expandWord(w, env)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// expandWord is the Dockerfile shell-lexer's ProcessWord: quote removal,
// backslash escapes and $VAR, ${VAR}, ${VAR:-word}, ${VAR:+word}
// substitution from env (later entries win).
func expandWord(w string, env []string) (string, error) {
	lookup := func(name string) (string, bool) {
		val, found := "", false
		for _, e := range env {
			if k, v, _ := strings.Cut(e, "="); k == name {
				val, found = v, true
			}
		}
		return val, found
	}
	rs := []rune(w)
	var out strings.Builder
	var quote rune
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				out.WriteRune(r)
			}
		case r == '\\':
			if i+1 < len(rs) {
				next := rs[i+1]
				if quote == '"' && !strings.ContainsRune("\"\\$`", next) {
					out.WriteRune(r)
				} else {
					i++
				}
				out.WriteRune(rs[i])
			} else {
				out.WriteRune(r)
			}
		case r == '"':
			if quote == '"' {
				quote = 0
			} else {
				quote = '"'
			}
		case r == '\'' && quote == 0:
			quote = '\''
		case r == '$':
			val, n, err := expandVar(rs[i+1:], lookup)
			if err != nil {
				return "", err
			}
			out.WriteString(val)
			i += n
		default:
			out.WriteRune(r)
		}
	}
	if quote != 0 {
		return "", errors.New("unexpected end of statement while looking for matching " + string(quote))
	}
	return out.String(), nil
}

// expandVar expands the variable after a '$' and reports how many runes
// it consumed.
func expandVar(rs []rune, lookup func(string) (string, bool)) (string, int, error) {
	isName := func(r rune, first bool) bool {
		return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (!first && r >= '0' && r <= '9')
	}
	if len(rs) == 0 {
		return "$", 0, nil
	}
	if rs[0] != '{' {
		n := 0
		for n < len(rs) && isName(rs[n], n == 0) {
			n++
		}
		if n == 0 {
			return "$", 0, nil
		}
		v, _ := lookup(string(rs[:n]))
		return v, n, nil
	}
	end := -1
	for i, r := range rs {
		if r == '}' {
			end = i
			break
		}
	}
	if end < 0 {
		return "", 0, errors.New("missing '}' in variable substitution")
	}
	body := string(rs[1:end])
	name, op, word := body, "", ""
	if i := strings.Index(body, ":"); i >= 0 && i+1 < len(body) {
		name, op, word = body[:i], body[i:i+2], body[i+2:]
	}
	for i, r := range name {
		if !isName(r, i == 0) {
			return "", 0, fmt.Errorf("bad substitution: ${%s}", body)
		}
	}
	v, set := lookup(name)
	switch op {
	case ":-":
		if !set || v == "" {
			v = word
		}
	case ":+":
		if set && v != "" {
			v = word
		} else {
			v = ""
		}
	case "":
	default:
		return "", 0, fmt.Errorf("unsupported modifier (%s) in substitution", op)
	}
	return v, end + 1, nil
}
