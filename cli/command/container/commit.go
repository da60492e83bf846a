package container

import (
	"fmt"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/cli/opts"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newCommitCommand(c *command.Cli) *cobra.Command {
	var (
		message, author string
		pause, noPause  bool
		changes         = opts.NewListOpts(nil)
	)
	cmd := &cobra.Command{
		Use:   "commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
		Short: "Create a new image from a container's changes",
		Args:  command.RequiresRangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref := ""
			if len(args) > 1 {
				ref = args[1]
			}
			if cmd.Flags().Changed("no-pause") {
				pause = !noPause
			}
			r, err := c.Client().ContainerCommit(cmd.Context(), args[0], client.ContainerCommitOptions{
				Reference: ref, Comment: message, Author: author, Changes: changes.GetAll(), NoPause: !pause,
			})
			if err != nil {
				return err
			}
			fmt.Fprintln(c.Out(), r.ID)
			return nil
		},
	}
	f := cmd.Flags()
	f.SetInterspersed(false)
	f.BoolVarP(&pause, "pause", "p", true, "Pause container during commit")
	f.BoolVar(&noPause, "no-pause", false, "Disable pausing container during commit")
	_ = f.MarkHidden("no-pause")
	f.StringVarP(&message, "message", "m", "", "Commit message")
	f.StringVarP(&author, "author", "a", "", `Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")`)
	f.VarP(changes, "change", "c", "Apply Dockerfile instruction to the created image")
	return cmd
}
