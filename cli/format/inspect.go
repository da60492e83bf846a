package format

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/template"

	"github.com/berth-project/berth/cli/command"
)

// GetRefFunc fetches one object for Inspect: its typed value and, when
// available, the raw JSON the daemon sent (printed verbatim like docker).
type GetRefFunc func(ref string) (typed any, raw []byte, err error)

// Inspect prints objects the way every docker `inspect` does: without a
// template an indented JSON array, with "json" a compact one, otherwise
// one template line per object. Lookup errors are collected and returned
// together (exit 1) after printing what was found; a bad template exits 64.
func Inspect(out io.Writer, refs []string, tmpl string, get GetRefFunc) error {
	var t *template.Template
	if tmpl != "" && tmpl != JSONKey {
		var err error
		if t, err = Parse(tmpl); err != nil {
			return command.StatusError{StatusCode: 64, Status: err.Error()}
		}
	}
	var (
		errs []error
		raws [][]byte
		buf  bytes.Buffer
	)
	for _, ref := range refs {
		typed, raw, err := get(ref)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if raw == nil {
			if raw, err = json.Marshal(typed); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		if t == nil {
			raws = append(raws, raw)
			continue
		}
		if err := executeInspect(&buf, t, typed, raw); err != nil {
			errs = append(errs, err)
		}
	}
	if t == nil {
		if err := writeJSONArray(out, raws, tmpl == ""); err != nil {
			errs = append(errs, err)
		}
	} else if buf.Len() == 0 {
		_, _ = io.WriteString(out, "\n")
	} else {
		_, _ = buf.WriteTo(out)
	}
	if err := errors.Join(errs...); err != nil {
		return command.StatusError{StatusCode: 1, Status: err.Error()}
	}
	return nil
}

// executeInspect runs the template on the typed value and, when that fails
// (e.g. a field only present in the raw JSON), on the decoded raw JSON
// with missing keys being errors, like docker.
func executeInspect(buf *bytes.Buffer, t *template.Template, typed any, raw []byte) error {
	var one bytes.Buffer
	if err := t.Execute(&one, typed); err != nil {
		var v any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("unable to read inspect data: %w", err)
		}
		one.Reset()
		if err := t.Option("missingkey=error").Execute(&one, v); err != nil {
			return fmt.Errorf("template parsing error: %w", err)
		}
	}
	buf.Write(one.Bytes())
	buf.WriteByte('\n')
	return nil
}

func writeJSONArray(out io.Writer, raws [][]byte, indent bool) error {
	if len(raws) == 0 {
		_, err := io.WriteString(out, "[]\n")
		return err
	}
	joined := append([]byte("["), bytes.Join(raws, []byte(","))...)
	joined = append(joined, ']')
	var res bytes.Buffer
	var err error
	if indent {
		err = json.Indent(&res, joined, "", "    ")
	} else {
		err = json.Compact(&res, joined)
	}
	if err != nil {
		return err
	}
	res.WriteByte('\n')
	_, err = res.WriteTo(out)
	return err
}
