package image

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/berth-project/berth/cli/command"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// This file holds the tar-moving verbs: load, save and import.

func newLoadCommand(c *command.Cli) *cobra.Command {
	var (
		input string
		quiet bool
	)
	cmd := &cobra.Command{
		Use:   "load [OPTIONS]",
		Short: "Load an image from a tar archive or STDIN",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var in io.Reader = c.In()
			if input == "" {
				if c.IsInTerminal() {
					return errors.New("requested load from stdin, but stdin is empty")
				}
			} else {
				f, err := os.Open(input)
				if err != nil {
					return err
				}
				defer f.Close()
				in = f
			}
			// Like docker, progress is only asked for on a terminal.
			q := quiet || !c.IsOutTerminal()
			res, err := c.Client().ImageLoad(cmd.Context(), in, client.ImageLoadWithQuiet(q))
			if err != nil {
				return err
			}
			defer res.Close()
			return displayStream(c, res)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&input, "input", "i", "", "Read from tar archive file, instead of STDIN")
	f.BoolVarP(&quiet, "quiet", "q", false, "Suppress the load output")
	f.String("platform", "", `Load only the given platform variant. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")`)
	return cmd
}

func newSaveCommand(c *command.Cli) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "save [OPTIONS] IMAGE [IMAGE...]",
		Short: "Save one or more images to a tar archive (streamed to STDOUT by default)",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output == "" && c.IsOutTerminal() {
				return errors.New("cowardly refusing to save to a terminal. Use the -o flag or redirect")
			}
			res, err := c.Client().ImageSave(cmd.Context(), args)
			if err != nil {
				return err
			}
			defer res.Close()
			if output == "" {
				_, err = io.Copy(c.Out(), res)
				return err
			}
			return writeAtomic(output, res)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "Write to a file, instead of STDOUT")
	cmd.Flags().String("platform", "", `Save only the given platform variant. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")`)
	return cmd
}

// writeAtomic writes r to path through a temporary file in the same
// directory so a failed save never leaves a truncated archive behind.
func writeAtomic(path string, r io.Reader) error {
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("failed to save image: invalid output path: stat %s: no such file or directory", dir)
	}
	tmp, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path))
	if err != nil {
		return fmt.Errorf("failed to save image: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, r); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func newImportCommand(c *command.Cli) *cobra.Command {
	var (
		changes []string
		message string
	)
	cmd := &cobra.Command{
		Use:   "import [OPTIONS] file|URL|- [REPOSITORY[:TAG]]",
		Short: "Import the contents from a tarball to create a filesystem image",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			src := client.ImageImportSource{SourceName: "-"}
			switch s := args[0]; {
			case s == "-":
				src.Source = c.In()
			case strings.HasPrefix(s, "http://"), strings.HasPrefix(s, "https://"):
				return fmt.Errorf("importing from a URL is not supported: berth does not download %s; fetch the tarball first and import the file or \"-\"", s)
			default:
				f, err := os.Open(s)
				if err != nil {
					return err
				}
				defer f.Close()
				src.Source = f
			}
			ref := ""
			if len(args) > 1 {
				ref = args[1]
			}
			res, err := c.Client().ImageImport(cmd.Context(), src, ref, client.ImageImportOptions{Message: message, Changes: changes})
			if err != nil {
				return err
			}
			defer res.Close()
			return displayStream(c, res)
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&changes, "change", "c", nil, "Apply Dockerfile instruction to the created image")
	f.StringVarP(&message, "message", "m", "", "Set commit message for imported image")
	f.String("platform", "", "Set platform if server is multi-platform capable")
	return cmd
}
