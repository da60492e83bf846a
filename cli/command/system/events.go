package system

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/template"
	"time"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/cli/command/image"
	"github.com/berth-project/berth/cli/format"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

const rfc3339NanoFixed = "2006-01-02T15:04:05.000000000Z07:00"

func newEventsCommand(c *command.Cli) *cobra.Command {
	var since, until, tmplText string
	filter := image.NewFilterOpt()
	cmd := &cobra.Command{
		Use:   "events [OPTIONS]",
		Short: "Get real time events from the server",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := eventsTemplate(tmplText)
			if err != nil {
				return command.StatusError{StatusCode: 64, Status: "Error parsing format: " + err.Error()}
			}
			return streamEvents(cmd.Context(), c, client.EventsListOptions{
				Since: since, Until: until, Filters: filter.Value(),
			}, t)
		},
	}
	f := cmd.Flags()
	f.VarP(filter, "filter", "f", "Filter output based on conditions provided")
	f.StringVar(&tmplText, "format", "", `Format output using a custom template:
'json':             Print in JSON format
'TEMPLATE':         Print output using the given Go template.
Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates`)
	f.StringVar(&since, "since", "", "Show all events created since timestamp")
	f.StringVar(&until, "until", "", "Stream events until this timestamp")
	return cmd
}

// eventsTemplate parses --format and test-runs it on an empty event so
// that field errors are reported before streaming starts, like docker.
func eventsTemplate(text string) (*template.Template, error) {
	switch text {
	case "":
		return nil, nil
	case format.JSONKey:
		text = format.JSONFormat
	}
	t, err := template.New("").Funcs(format.Funcs()).Parse(text)
	if err != nil {
		return nil, err
	}
	return t, t.Execute(io.Discard, &events.Message{})
}

func streamEvents(ctx context.Context, c *command.Cli, opts client.EventsListOptions, t *template.Template) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	res := c.Client().Events(ctx, opts)
	for {
		select {
		case ev := <-res.Messages:
			if err := printEvent(c.Out(), ev, t); err != nil {
				return err
			}
		case err := <-res.Err:
			if err == nil || errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// printEvent writes one event: with a template, its output; otherwise
// docker's "<time> <type> <action> <id> (k=v, ...)" line.
func printEvent(out io.Writer, ev events.Message, t *template.Template) error {
	if t != nil {
		defer out.Write([]byte{'\n'})
		return t.Execute(out, ev)
	}
	var b strings.Builder
	if ev.TimeNano != 0 {
		b.WriteString(time.Unix(0, ev.TimeNano).Format(rfc3339NanoFixed) + " ")
	} else if ev.Time != 0 {
		b.WriteString(time.Unix(ev.Time, 0).Format(rfc3339NanoFixed) + " ")
	}
	fmt.Fprintf(&b, "%s %s %s", ev.Type, ev.Action, ev.Actor.ID)
	if len(ev.Actor.Attributes) > 0 {
		keys := make([]string, 0, len(ev.Actor.Attributes))
		for k := range ev.Actor.Attributes {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		attrs := make([]string, len(keys))
		for i, k := range keys {
			attrs[i] = k + "=" + ev.Actor.Attributes[k]
		}
		fmt.Fprintf(&b, " (%s)", strings.Join(attrs, ", "))
	}
	b.WriteByte('\n')
	_, err := io.WriteString(out, b.String())
	return err
}
