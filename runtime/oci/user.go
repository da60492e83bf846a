package oci

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/moby/sys/user"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// maxUserDBSize bounds how much of a container's /etc/passwd or /etc/group
// we read: the files come from an untrusted image.
const maxUserDBSize = 16 << 20

// ResolveUser turns a Docker user spec ("", "name", "uid", "name:group",
// "uid:gid") into the process user, reading the container's /etc/passwd and
// /etc/group safely inside rootfs. Like Docker, AdditionalGids starts with
// the primary gid followed by the user's supplementary groups.
func ResolveUser(rootfs, spec string) (specs.User, error) {
	return ResolveUserWithGroups(rootfs, spec, nil)
}

// ResolveUserWithGroups is ResolveUser plus --group-add entries (names or
// numeric gids), which Docker applies to the main process and to execs.
func ResolveUserWithGroups(rootfs, spec string, groupAdd []string) (specs.User, error) {
	var u specs.User
	// Without this a wrong rootfs would silently mean "root".
	if fi, err := os.Stat(rootfs); err != nil || !fi.IsDir() {
		return u, fmt.Errorf("container rootfs %q is not a directory", rootfs)
	}
	passwd, err := readInRoot(rootfs, "/etc/passwd")
	if err != nil {
		return u, err
	}
	group, err := readInRoot(rootfs, "/etc/group")
	if err != nil {
		return u, err
	}
	// A missing file is a nil reader: numeric ids still work, names fail
	// with Docker's "no matching entries" wording.
	execUser, err := user.GetExecUser(spec, nil, asReader(passwd), asReader(group))
	if err != nil {
		return u, err
	}
	u.UID = uint32(execUser.Uid)
	u.GID = uint32(execUser.Gid)
	u.AdditionalGids = []uint32{u.GID}
	for _, g := range execUser.Sgids {
		u.AdditionalGids = append(u.AdditionalGids, uint32(g))
	}
	if len(groupAdd) > 0 {
		extra, err := additionalGroups(groupAdd, group)
		if err != nil {
			return u, err
		}
		u.AdditionalGids = append(u.AdditionalGids, extra...)
	}
	return u, nil
}

// additionalGroups resolves --group-add entries in the order given (the
// library returns them from a map, which would make specs unstable).
func additionalGroups(names []string, group []byte) ([]uint32, error) {
	var out []uint32
	seen := map[int]bool{}
	for _, name := range names {
		gids, err := user.GetAdditionalGroups([]string{name}, asReader(group))
		if err != nil {
			// moby/sys/user v0.4.1 (which BuildKit's parser brings in)
			// lower-cased this message; dockerd says "Unable to find group".
			if msg, ok := strings.CutPrefix(err.Error(), "unable to find group"); ok {
				return nil, errors.New("Unable to find group" + msg)
			}
			return nil, err
		}
		for _, g := range gids {
			if !seen[g] {
				seen[g] = true
				out = append(out, uint32(g))
			}
		}
	}
	return out, nil
}

func asReader(b []byte) io.Reader {
	if b == nil {
		return nil
	}
	return bytes.NewReader(b)
}

// readInRoot reads a small regular file inside rootfs without following
// symlinks out of it. It returns nil, nil when the file does not exist.
func readInRoot(rootfs, path string) ([]byte, error) {
	h, err := pathrs.OpenInRoot(rootfs, path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("open %s in container rootfs: %w", path, err)
	}
	defer h.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(h.Fd()), &st); err != nil {
		return nil, fmt.Errorf("stat %s in container rootfs: %w", path, err)
	}
	// Opening a FIFO or device from an image could block or have side
	// effects; only regular files are user databases.
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, fmt.Errorf("%s in container rootfs is not a regular file", path)
	}
	f, err := pathrs.Reopen(h, unix.O_RDONLY|unix.O_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("open %s in container rootfs: %w", path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxUserDBSize))
	if err != nil {
		return nil, fmt.Errorf("read %s in container rootfs: %w", path, err)
	}
	return b, nil
}
