// Package stack implements docker's `stack` commands (deploy, ls, ps,
// services, rm) client-side, as the docker CLI does: compose files are
// loaded with compose-go, converted to swarm ServiceSpecs labelled
// com.docker.stack.namespace, and created or updated through the Engine
// API's service, network, secret and config endpoints.
package stack

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/cli/format"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// AddCommands registers the `stack` group.
func AddCommands(root *cobra.Command, c *command.Cli) {
	root.AddCommand(newStackCommand(c))
}

func newStackCommand(c *command.Cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "stack [OPTIONS]",
		Short: "Manage Swarm stacks",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cmd.SetOut(c.Out())
			return cmd.Help()
		},
	}
	cmd.AddCommand(newDeployCommand(c), newListCommand(c), newPsCommand(c), newRemoveCommand(c), newServicesCommand(c), newConfigCommand(c))
	return cmd
}

const formatHelp = `Format output using a custom template:
'table':            Print output in table format with column headers (default)
'table TEMPLATE':   Print output in table format using the given Go template
'json':             Print in JSON format
'TEMPLATE':         Print output using the given Go template.
Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates`

func validateStackName(name string) error {
	if strings.TrimFunc(name, func(r rune) bool { return unicode.IsSpace(r) || r == '"' || r == '\'' }) == "" {
		return fmt.Errorf("invalid stack name: %q", name)
	}
	return nil
}

type stackRow struct {
	name     string
	services int
}

func (r *stackRow) Name() string                 { return r.name }
func (r *stackRow) Services() string             { return strconv.Itoa(r.services) }
func (r *stackRow) MarshalJSON() ([]byte, error) { return format.MarshalJSON(r) }

func newListCommand(c *command.Cli) *cobra.Command {
	var tmpl string
	cmd := &cobra.Command{
		Use:     "ls [OPTIONS]",
		Aliases: []string{"list"},
		Short:   "List stacks",
		Args:    command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := c.Client().ServiceList(cmd.Context(), client.ServiceListOptions{Filters: make(client.Filters).Add("label", LabelNamespace)})
			if err != nil {
				return err
			}
			idx := map[string]*stackRow{}
			var stacks []*stackRow
			for _, s := range res.Items {
				name, ok := s.Spec.Labels[LabelNamespace]
				if !ok {
					return errors.New("cannot get label " + LabelNamespace + " for service " + s.ID)
				}
				if r := idx[name]; r != nil {
					r.services++
					continue
				}
				r := &stackRow{name: name, services: 1}
				idx[name] = r
				stacks = append(stacks, r)
			}
			sort.Slice(stacks, func(i, j int) bool { return format.NaturalLess(stacks[i].name, stacks[j].name) })
			rows := make([]any, 0, len(stacks))
			for _, r := range stacks {
				rows = append(rows, r)
			}
			return format.Write(c.Out(), format.Resolve(tmpl, stackTable), stackTable, rows, format.Headers{"Name": "NAME", "Services": "SERVICES"})
		},
	}
	cmd.Flags().StringVar(&tmpl, "format", "", formatHelp)
	return cmd
}

const stackTable = "table {{.Name}}\t{{.Services}}"

func newRemoveCommand(c *command.Cli) *cobra.Command {
	var detach bool
	cmd := &cobra.Command{
		Use:     "rm [OPTIONS] STACK [STACK...]",
		Aliases: []string{"remove", "down"},
		Short:   "Remove one or more stacks",
		Args:    command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, a := range args {
				if err := validateStackName(a); err != nil {
					return err
				}
			}
			return removeStacks(cmd.Context(), c, args, detach)
		},
	}
	cmd.Flags().BoolVarP(&detach, "detach", "d", true, "Do not wait for stack removal")
	return cmd
}

func removeStacks(ctx context.Context, c *command.Cli, stacks []string, detach bool) error {
	api := c.Client()
	var errs []error
	for _, stack := range stacks {
		f := stackFilter(stack)
		services, err := stackServices(ctx, api, stack)
		if err != nil {
			return err
		}
		nets, err := api.NetworkList(ctx, client.NetworkListOptions{Filters: f})
		if err != nil {
			return err
		}
		secrets, err := api.SecretList(ctx, client.SecretListOptions{Filters: f})
		if err != nil {
			return err
		}
		configs, err := api.ConfigList(ctx, client.ConfigListOptions{Filters: f})
		if err != nil {
			return err
		}
		if len(services)+len(nets.Items)+len(secrets.Items)+len(configs.Items) == 0 {
			fmt.Fprintln(c.Err(), "Nothing found in stack:", stack)
			continue
		}
		failed := removeServices(ctx, c, services)
		for _, s := range secrets.Items {
			fmt.Fprintln(c.Out(), "Removing secret", s.Spec.Name)
			if _, err := api.SecretRemove(ctx, s.ID, client.SecretRemoveOptions{}); err != nil {
				failed = true
				fmt.Fprintf(c.Err(), "Failed to remove secret %s: %s", s.ID, err)
			}
		}
		for _, s := range configs.Items {
			fmt.Fprintln(c.Out(), "Removing config", s.Spec.Name)
			if _, err := api.ConfigRemove(ctx, s.ID, client.ConfigRemoveOptions{}); err != nil {
				failed = true
				fmt.Fprintf(c.Err(), "Failed to remove config %s: %s", s.ID, err)
			}
		}
		for _, n := range nets.Items {
			fmt.Fprintln(c.Out(), "Removing network", n.Name)
			if _, err := api.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{}); err != nil {
				failed = true
				fmt.Fprintf(c.Err(), "Failed to remove network %s: %s", n.ID, err)
			}
		}
		if failed {
			errs = append(errs, errors.New("failed to remove some resources from stack: "+stack))
			continue
		}
		if !detach {
			if err := waitTasksGone(ctx, api, stack); err != nil {
				errs = append(errs, fmt.Errorf("failed to wait on tasks of stack: %s: %w", stack, err))
			}
		}
	}
	return errors.Join(errs...)
}

func removeServices(ctx context.Context, c *command.Cli, services []swarm.Service) bool {
	sort.Slice(services, func(i, j int) bool { return services[i].Spec.Name < services[j].Spec.Name })
	failed := false
	for _, s := range services {
		fmt.Fprintln(c.Out(), "Removing service", s.Spec.Name)
		if _, err := c.Client().ServiceRemove(ctx, s.ID, client.ServiceRemoveOptions{}); err != nil {
			failed = true
			fmt.Fprintf(c.Err(), "Failed to remove service %s: %s", s.ID, err)
		}
	}
	return failed
}

// waitTasksGone waits until every task of the stack is past running.
func waitTasksGone(ctx context.Context, api *client.Client, stack string) error {
	for {
		res, err := api.TaskList(ctx, client.TaskListOptions{Filters: stackFilter(stack)})
		if err != nil {
			return fmt.Errorf("failed to get tasks: %w", err)
		}
		done := true
		for _, t := range res.Items {
			switch t.Status.State {
			case swarm.TaskStateComplete, swarm.TaskStateShutdown, swarm.TaskStateFailed, swarm.TaskStateRejected:
			default:
				done = false
			}
		}
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
