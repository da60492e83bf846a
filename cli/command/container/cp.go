package container

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/cli/format"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type cpOptions struct {
	followLink, copyUIDGID, quiet bool
}

func newCopyCommand(c *command.Cli) *cobra.Command {
	var o cpOptions
	cmd := &cobra.Command{
		Use:   "cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tdocker cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
		Short: "Copy files/folders between a container and the local filesystem",
		Long:  "Copy files/folders between a container and the local filesystem\n\nUse '-' as the source to read a tar archive from stdin\nand extract it to a directory destination in a container.\nUse '-' as the destination to stream a tar archive of a\ncontainer source to stdout.",
		Args:  command.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if args[0] == "" {
				return errors.New("source can not be empty")
			}
			if args[1] == "" {
				return errors.New("destination can not be empty")
			}
			srcCtr, srcPath := splitCpArg(args[0])
			dstCtr, dstPath := splitCpArg(args[1])
			switch {
			case srcCtr != "" && dstCtr != "":
				return errors.New("copying between containers is not supported")
			case srcCtr != "":
				return copyFromContainer(cmd, c, srcCtr, srcPath, dstPath, o)
			case dstCtr != "":
				return copyToContainer(cmd, c, srcPath, dstCtr, dstPath, o)
			}
			return errors.New("must specify at least one container source")
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.followLink, "follow-link", "L", false, "Always follow symbol link in SRC_PATH")
	f.BoolVarP(&o.copyUIDGID, "archive", "a", false, "Archive mode (copy all uid/gid information)")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached")
	return cmd
}

// splitCpArg splits "container:path"; a local path is one with no colon
// before its first slash (so "./a:b" and "/a:b" stay local).
func splitCpArg(arg string) (ctr, p string) {
	if filepath.IsAbs(arg) || strings.HasPrefix(arg, ".") {
		return "", arg
	}
	ctr, p, ok := strings.Cut(arg, ":")
	if !ok || strings.Contains(ctr, "/") {
		return "", arg
	}
	return ctr, p
}

// containerPath makes a relative container path absolute (relative to /),
// keeping a trailing "/." or "/" because they change copy semantics.
func containerPath(p string) string {
	if !path.IsAbs(p) {
		p = "/" + p
	}
	return p
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func copySummary(c *command.Cli, o cpOptions, n int64, dst string) {
	if o.quiet {
		return
	}
	if _, isTerm := termFd(c.Err()); !isTerm {
		return
	}
	fmt.Fprintf(c.Err(), "Successfully copied %s to %s\n", format.HumanSize(n), dst)
}

func copyFromContainer(cmd *cobra.Command, c *command.Cli, ctr, srcPath, dstPath string, o cpOptions) error {
	ctx := cmd.Context()
	cl := c.Client()
	srcPath = containerPath(srcPath)
	if o.followLink {
		st, err := cl.ContainerStatPath(ctx, ctr, client.ContainerStatPathOptions{Path: srcPath})
		if err == nil && st.Stat.LinkTarget != "" {
			srcPath = st.Stat.LinkTarget
		}
	}
	res, err := cl.CopyFromContainer(ctx, ctr, client.CopyFromContainerOptions{SourcePath: srcPath})
	if err != nil {
		return err
	}
	defer res.Content.Close()
	if dstPath == "-" {
		_, err := io.Copy(c.Out(), res.Content)
		return err
	}
	cr := &countingReader{r: res.Content}
	if err := extractCopy(cr, res.Stat.Name, res.Stat.Mode.IsDir(), srcPath, dstPath, o.copyUIDGID); err != nil {
		return err
	}
	copySummary(c, o, cr.n, dstPath)
	return nil
}

func copyToContainer(cmd *cobra.Command, c *command.Cli, srcPath, ctr, dstPath string, o cpOptions) error {
	ctx := cmd.Context()
	cl := c.Client()
	dstPath = containerPath(dstPath)
	if srcPath == "-" {
		st, err := cl.ContainerStatPath(ctx, ctr, client.ContainerStatPathOptions{Path: dstPath})
		if err != nil {
			return err
		}
		if !st.Stat.Mode.IsDir() {
			return fmt.Errorf(`destination "%s:%s" must be a directory`, ctr, dstPath)
		}
		_, err = cl.CopyToContainer(ctx, ctr, client.CopyToContainerOptions{DestinationPath: dstPath, Content: c.In(), CopyUIDGID: o.copyUIDGID})
		return err
	}
	src := srcPath
	if o.followLink {
		if r, err := filepath.EvalSymlinks(srcPath); err == nil {
			src = r
		}
	}
	fi, err := os.Lstat(src)
	if err != nil {
		return err
	}
	// Decide where the archive goes and what its root entry is called.
	var (
		targetDir = dstPath
		rootName  = filepath.Base(filepath.Clean(srcPath))
	)
	contentsOnly := fi.IsDir() && (strings.HasSuffix(srcPath, "/.") || srcPath == ".")
	st, statErr := cl.ContainerStatPath(ctx, ctr, client.ContainerStatPathOptions{Path: dstPath})
	if statErr == nil && st.Stat.Mode&os.ModeSymlink != 0 {
		// Like docker: a symlink destination is followed (the daemon
		// resolves it inside the container), e.g. a mount point in an
		// image that links /data -> /srv/data.
		target := st.Stat.LinkTarget
		if !path.IsAbs(target) {
			target = path.Join(path.Dir(path.Clean(dstPath)), target)
		}
		dstPath = target
		st, statErr = cl.ContainerStatPath(ctx, ctr, client.ContainerStatPathOptions{Path: dstPath})
	}
	switch {
	case statErr == nil && st.Stat.Mode.IsDir():
		if contentsOnly {
			rootName = ""
		}
	case statErr == nil:
		if fi.IsDir() {
			return fmt.Errorf("cannot copy a directory to a file: %s", dstPath)
		}
		targetDir, rootName = path.Dir(dstPath), path.Base(dstPath)
	default:
		if strings.HasSuffix(dstPath, "/") && !fi.IsDir() {
			return fmt.Errorf(`destination "%s:%s" must be a directory: %w`, ctr, dstPath, statErr)
		}
		targetDir, rootName = path.Dir(path.Clean(dstPath)), path.Base(path.Clean(dstPath))
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeTar(pw, src, rootName)) }()
	cr := &countingReader{r: pr}
	_, err = cl.CopyToContainer(ctx, ctr, client.CopyToContainerOptions{DestinationPath: targetDir, Content: cr, CopyUIDGID: o.copyUIDGID})
	pr.Close()
	if err != nil {
		return err
	}
	copySummary(c, o, cr.n, ctr+":"+dstPath)
	return nil
}
