package container

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/berth-project/berth/cli/command"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newExportCommand(c *command.Cli) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "export [OPTIONS] CONTAINER",
		Short: "Export a container's filesystem as a tar archive",
		Args:  command.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output == "" && c.IsOutTerminal() {
				return errors.New("cowardly refusing to save to a terminal. Use the -o flag or redirect")
			}
			rc, err := c.Client().ContainerExport(cmd.Context(), args[0], client.ContainerExportOptions{})
			if err != nil {
				return err
			}
			defer rc.Close()
			return writeOutput(c, output, rc)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "Write to a file, instead of STDOUT")
	return cmd
}

// writeOutput copies r to the named file (written atomically) or stdout.
func writeOutput(c *command.Cli, path string, r io.Reader) error {
	if path == "" {
		_, err := io.Copy(c.Out(), r)
		return err
	}
	tmp := path + ".berth-tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("failed to export container: %w", err)
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("failed to export container: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}
